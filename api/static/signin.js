// Sign-In with Ethereum from the portal: a browser wallet (an EIP-1193 provider,
// window.ethereum) signs the EIP-4361 message; the login sets the HttpOnly session cookie and
// the page reloads to show what the caller's role may see. Nothing from an answer is parsed
// as HTML (textContent only).
(function () {
  const box = document.getElementById('signin');
  if (!box) return;

  function say(text) {
    const status = document.getElementById('signin-status');
    status.textContent = text;
  }

  async function post(path, body) {
    const reply = await fetch(path, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const answer = reply.status === 204 ? {} : await reply.json();
    if (!reply.ok) throw new Error(answer.error ? answer.error.message : reply.statusText);
    return answer;
  }

  function hex(text) {
    return '0x' + Array.from(new TextEncoder().encode(text))
      .map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function signIn() {
    if (!window.ethereum) {
      say('No browser wallet found (an EIP-1193 provider such as a wallet extension).');
      return;
    }
    try {
      const [account] = await window.ethereum.request({method: 'eth_requestAccounts'});
      const n = await post('/v1/auth/nonce?address=' + encodeURIComponent(account));
      const message = [
        n.domain + ' wants you to sign in with your Ethereum account:',
        n.address,
        '',
        n.statement,
        '',
        'URI: ' + n.uri,
        'Version: 1',
        'Chain ID: ' + n.chain_id,
        'Nonce: ' + n.nonce,
        'Issued At: ' + new Date().toISOString(),
      ].join('\n');
      const signature = await window.ethereum.request(
        {method: 'personal_sign', params: [hex(message), account]});
      await post('/v1/auth/login', {message, signature});
      window.location.reload();
    } catch (e) {
      say('Sign-in refused: ' + e.message);
    }
  }

  async function signOut() {
    await post('/v1/auth/logout');
    window.location.reload();
  }

  async function show() {
    const reply = await fetch('/v1/auth/me', {credentials: 'same-origin'});
    const button = document.getElementById('signin-button');
    if (reply.ok) {
      const me = (await reply.json()).caller;
      const roles = me.roles.map((r) => r.role + ' ' + r.zone);
      if (me.committee) roles.push('committee');
      if (me.enterprise_zones.length) roles.push('enterprise of ' + me.enterprise_zones.join(', '));
      say('Signed in as ' + me.address + (roles.length ? ' (' + roles.join('; ') + ')' : ''));
      button.textContent = 'Sign out';
      button.onclick = signOut;
    } else {
      say('Not signed in: withheld fields say who may see them.');
      button.textContent = 'Sign in with a wallet';
      button.onclick = signIn;
    }
  }

  show();
})();
