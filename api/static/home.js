// The home page's forms: a work is hashed in the browser (never uploaded); numbers are
// looked up on their own pages.
function go(hex) { location.href = '/ip/' + hex; }
for (const [form, input, path] of [['by-certificate', 'certificate', '/origin/'],
                                   ['by-declaration', 'declaration', '/customs/']]) {
  document.getElementById(form).onsubmit = (e) => {
    e.preventDefault();
    location.href = path + encodeURIComponent(document.getElementById(input).value.trim());
  };
}
document.getElementById('by-file').onsubmit = async (e) => {
  e.preventDefault();
  const buf = await document.getElementById('work').files[0].arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  go(Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''));
};
document.getElementById('by-hash').onsubmit = (e) => {
  e.preventDefault(); go(document.getElementById('hash').value.trim());
};
