// A real OpenID provider on loopback for the single sign-on tests: npm `oidc-provider`
// (certified by the OpenID Foundation), with its development login form.
//
// Environment: PORT (listens on 127.0.0.1:PORT, issuer http://127.0.0.1:PORT) and
// CLIENTS, a JSON list of {client_id, client_secret, redirect_uris}. Prints "ready" once
// it listens. Any password opens a known account (the dev form checks none).
// oidc-provider lives in the repository's git-ignored .ci/npm (installed by .ci/run).
const { default: Provider } = await import(
  new URL('../../../.ci/npm/node_modules/oidc-provider/lib/index.js', import.meta.url)
);

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

// accountId == subject. Claims a real IdP would hold about each test person.
const ACCOUNTS = {
  'alice-sub': { email: 'alice@acme.test', email_verified: true, given_name: 'Alice', family_name: 'Martin' },
  'owner-sub': { email: 'owner@acme.test', email_verified: true, given_name: 'Olga', family_name: 'Owner' },
  'bob-sub': { email: 'bob@acme.test', email_verified: false, given_name: 'Bob', family_name: 'Unverified' },
  'scim-sub-123': { email: 'carol.personal@elsewhere.test', email_verified: false, given_name: 'Carol', family_name: 'Scim' },
  'dave-sub': { email: 'dave@acme.test', email_verified: true, given_name: 'Dave', family_name: 'Gone' },
  'gina-sub': { email: 'gina@globex.test', email_verified: true, given_name: 'Gina', family_name: 'Globex' },
  'new-sub': { email: 'newcomer@acme.test', email_verified: true, given_name: 'Nora', family_name: 'Newcomer' },
};

const clients = JSON.parse(process.env.CLIENTS || '[]').map((c) => ({
  ...c,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
}));

const provider = new Provider(issuer, {
  clients,
  pkce: { required: () => true }, // S256 only, in this version
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  },
  scopes: ['openid', 'email', 'profile'],
  // The default: scope claims go to userinfo, not the ID token (as Okta's "thin" ID tokens).
  conformIdTokenClaims: true,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['equipage-sso-tests'] },
  async findAccount(ctx, id) {
    const claims = ACCOUNTS[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // First-party client: the grant is given at login, no consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
