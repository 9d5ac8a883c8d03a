/**
 * A URL as messages, logs and the API may show it: a password becomes `***` (the user name
 * stays, it helps to tell accounts apart), and a user name alone, which is how tokens are often
 * given (`https://TOKEN@host/…`), becomes `***`. Text that is not a URL is shown as unparsable.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    return `${scheme ? `${scheme}://` : ''}(unparsable URL)`;
  }
  if (u.password) u.password = '***';
  else if (u.username) u.username = '***';
  return u.toString();
}
