// Hardhat 2 build of the same sources with the same compiler and settings as the Python build
// (contracts/solc-settings.json). Offline: the solc build is the npm `solc` package's soljson.js,
// never a download.
const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

const compiler = require("./contracts/solc-settings.json");

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, hre, runSuper) => {
  if (args.solcVersion !== compiler.version) {
    return runSuper();
  }
  const solcPackage = require("solc/package.json");
  if (solcPackage.version !== compiler.version) {
    throw new Error(
      `node_modules has solc ${solcPackage.version} but contracts/solc-settings.json pins ${compiler.version}: run npm ci`,
    );
  }
  const solc = require("solc");
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: compiler.version,
    longVersion: solc.version(),
  };
});

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    version: compiler.version,
    settings: compiler.settings,
  },
  paths: {
    sources: path.join(__dirname, "contracts"),
    artifacts: path.join(__dirname, "build", "hardhat", "artifacts"),
    cache: path.join(__dirname, "build", "hardhat", "cache"),
    tests: path.join(__dirname, "tests", "hardhat"),
  },
  networks: {
    hardhat: { hardfork: "london" },
  },
};
