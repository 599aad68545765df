// A certified OpenID provider (panva/oidc-provider) for the single sign-on tests.
//
//   node provider.mjs CONFIG.json
//
// CONFIG (written by the test fixture): {"port", "client": {client_id, client_secret,
// redirect_uris}, "accounts": {"alice": {"groups": [...], "email": "..."}}, "jwks": {keys}}.
// The authorization code flow (PKCE required) and the device flow are on. Instead of
// the provider's HTML development pages, the login "page" is a small form the tests
// submit: POST /interaction/UID with login=NAME signs NAME in and grants every scope
// asked for (consent included), so a test plays the user with two plain HTTP requests.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts;

const provider = new Provider(issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: config.jwks,
  cookies: { keys: ['test-only-cookie-key-not-a-secret'] },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  conformIdTokenClaims: false, // the groups go into the ID token itself
  findAccount: async (ctx, id) => (accounts[id] === undefined ? undefined : {
    accountId: id,
    claims: async () => ({
      sub: id, preferred_username: accounts[id].username ?? id, name: id,
      email: accounts[id].email, groups: accounts[id].groups,
    }),
  }),
  features: { devInteractions: { enabled: false }, deviceFlow: { enabled: true } },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

async function interaction(req, res, uid) {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<form method="post" action="/interaction/${uid}"><input name="login"></form>`);
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const login = new URLSearchParams(body).get('login') ?? '';
  const details = await provider.interactionDetails(req, res);
  if (accounts[login] === undefined) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'unknown user',
    });
    return;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: login }, consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
  if (match) {
    interaction(req, res, match[1]).catch((err) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
    return;
  }
  callback(req, res);
}).listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
