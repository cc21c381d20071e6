<?php
// Moodle as an OpenID Connect relying party of the OS2skole PoC harness's identity provider (IAM-06).
//
// What a Moodle site administrator would do in Site administration > Server > OAuth 2 services ("Custom"
// service) and Plugins > Authentication, as one script, run on the Moodle server as the web server's user:
//
//   POC_SSO_OIDC_ISSUER=http://127.0.0.1:18090 POC_SSO_OIDC_CLIENT_ID=os2skole-poc-moodle \
//   POC_SSO_OIDC_CLIENT_SECRET=... php configure_oidc.php /path/to/moodle/config.php [--allow-local-idp]
//
// It creates (or updates) the OAuth 2 issuer "OS2skole PoC IdP": client id and secret, scopes "openid profile
// email school", the endpoints of the harness's IdP (authorization, token, userinfo, discovery), the user field
// mappings (preferred_username -> username, given_name -> firstname, family_name -> lastname, email -> email),
// shown on the login page, no e-mail confirmation for linking (an existing account with the same e-mail is
// linked at once); and it enables the "OAuth 2" authentication plugin. The redirect URI to register at the IdP
// is printed: <wwwroot>/admin/oauth2callback.php.
//
// --allow-local-idp (the harness's own test on one machine only): Moodle blocks requests to local addresses
// (curlsecurityblockedhosts) and to ports other than 80 and 443 (curlsecurityallowedport); the IdP on
// 127.0.0.1 is let through: 127.0.0.0/8 and localhost are taken out of the blocked hosts and the IdP's port
// is allowed. The previous values are printed and restored by --remove.
// --trust-cert=FILE: Moodle's curl checks the IdP's HTTPS certificate against the system's CA bundle; a test IdP
// with a certificate of its own (the harness's, evidence/sso/idp-oidc.crt, kept across runs with POC_SSO_KEYS) is
// trusted by writing <dataroot>/moodleorgca.crt, which Moodle's curl prefers: the system bundle plus that file.
// --remove: deletes the issuer, and restores the curl security settings and the CA file this script changed.

define('CLI_SCRIPT', true);
if (empty($argv[1]) || !is_readable($argv[1])) {
    fwrite(STDERR, "usage: php configure_oidc.php /path/to/moodle/config.php [--allow-local-idp] [--remove]\n");
    exit(2);
}
require($argv[1]);
require_once($CFG->libdir . '/clilib.php');
list($options, $unrecognised) = cli_get_params(['allow-local-idp' => false, 'remove' => false, 'trust-cert' => '',
    'help' => false], []);
$cafile = $CFG->dataroot . '/moodleorgca.crt';

$name = 'OS2skole PoC IdP';
\core\session\manager::set_user(get_admin());
$existing = $DB->get_record('oauth2_issuer', ['name' => $name]);

if ($options['remove']) {
    if ($existing) {
        \core\oauth2\api::delete_issuer($existing->id);
        echo "removed the issuer $name\n";
    }
    foreach (['curlsecurityblockedhosts', 'curlsecurityallowedport'] as $setting) {
        $saved = get_config('local_os2skole_poc', "saved_$setting");
        if ($saved !== false) {
            set_config($setting, $saved);
            unset_config("saved_$setting", 'local_os2skole_poc');
            echo "restored $setting\n";
        }
    }
    if (get_config('local_os2skole_poc', 'wrote_cafile')) {
        @unlink($cafile);
        unset_config('wrote_cafile', 'local_os2skole_poc');
        echo "removed $cafile\n";
    }
    exit(0);
}

$base = rtrim((string)getenv('POC_SSO_OIDC_ISSUER'), '/');
$clientid = getenv('POC_SSO_OIDC_CLIENT_ID') ?: 'os2skole-poc-moodle';
$secret = (string)getenv('POC_SSO_OIDC_CLIENT_SECRET');
if ($base === '' || $secret === '') {
    fwrite(STDERR, "set POC_SSO_OIDC_ISSUER (the IdP's base URL) and POC_SSO_OIDC_CLIENT_SECRET\n");
    exit(2);
}

$data = (object)[
    'name' => $name, 'image' => '', 'clientid' => $clientid, 'clientsecret' => $secret, 'baseurl' => '',
    'loginscopes' => 'openid profile email school', 'loginscopesoffline' => 'openid profile email school',
    'loginparams' => '', 'loginparamsoffline' => '', 'alloweddomains' => '', 'enabled' => 1,
    'showonloginpage' => \core\oauth2\issuer::LOGINONLY, 'basicauth' => 0, 'requireconfirmation' => 0,
    'servicetype' => 'custom', 'loginpagename' => 'Skolens login (OS2skole PoC)',
];
if ($existing) {
    $issuer = new \core\oauth2\issuer($existing->id);
    foreach ($data as $k => $v) {
        $issuer->set($k, $v);
    }
    $issuer->update();
} else {
    $issuer = new \core\oauth2\issuer(0, $data);
    $issuer->create();
}
$id = $issuer->get('id');

$endpoints = ['authorization_endpoint' => '/oidc/authorize', 'token_endpoint' => '/oidc/token',
              'userinfo_endpoint' => '/oidc/userinfo', 'discovery_endpoint' => '/.well-known/openid-configuration'];
foreach ($endpoints as $endpointname => $path) {
    $record = $DB->get_record('oauth2_endpoint', ['issuerid' => $id, 'name' => $endpointname]);
    $endpoint = new \core\oauth2\endpoint($record ? $record->id : 0,
        (object)['issuerid' => $id, 'name' => $endpointname, 'url' => $base . $path]);
    $record ? $endpoint->update() : $endpoint->create();
}
$mappings = ['preferred_username' => 'username', 'given_name' => 'firstname', 'family_name' => 'lastname',
             'email' => 'email'];
foreach ($mappings as $external => $internal) {
    $record = $DB->get_record('oauth2_user_field_mapping', ['issuerid' => $id, 'internalfield' => $internal]);
    $mapping = new \core\oauth2\user_field_mapping($record ? $record->id : 0,
        (object)['issuerid' => $id, 'externalfield' => $external, 'internalfield' => $internal]);
    $record ? $mapping->update() : $mapping->create();
}

$auths = array_filter(explode(',', (string)$CFG->auth));
if (!in_array('oauth2', $auths)) {
    $auths[] = 'oauth2';
    set_config('auth', implode(',', $auths));
    echo "enabled the OAuth 2 authentication plugin\n";
}

if ($options['allow-local-idp']) {
    $port = parse_url($base, PHP_URL_PORT);
    foreach (['curlsecurityblockedhosts', 'curlsecurityallowedport'] as $setting) {
        if (get_config('local_os2skole_poc', "saved_$setting") === false) {
            set_config("saved_$setting", (string)get_config('core', $setting), 'local_os2skole_poc');
        }
    }
    $blocked = array_filter(array_map('trim', explode("\n", (string)get_config('core', 'curlsecurityblockedhosts'))),
        function($h) { return $h !== '' && !in_array($h, ['127.0.0.0/8', 'localhost', '127.0.0.1']); });
    set_config('curlsecurityblockedhosts', implode("\n", $blocked));
    $ports = array_filter(array_map('trim', explode("\n", (string)get_config('core', 'curlsecurityallowedport'))));
    if ($ports && $port && !in_array((string)$port, $ports)) {
        $ports[] = (string)$port;
        set_config('curlsecurityallowedport', implode("\n", $ports));
    }
    echo "curl security: 127.0.0.0/8 and localhost no longer blocked; port $port allowed (restore with --remove)\n";
}

if ($options['trust-cert'] !== '') {
    $pem = file_get_contents($options['trust-cert']);
    $bundle = @file_get_contents('/etc/ssl/certs/ca-certificates.crt');
    if ($pem === false || $bundle === false) {
        fwrite(STDERR, "cannot read {$options['trust-cert']} or the system CA bundle\n");
        exit(2);
    }
    if (file_exists($cafile) && !get_config('local_os2skole_poc', 'wrote_cafile')) {
        fwrite(STDERR, "$cafile exists and was not written by this script: not replaced\n");
        exit(2);
    }
    file_put_contents($cafile, $bundle . "\n" . $pem);
    set_config('wrote_cafile', 1, 'local_os2skole_poc');
    echo "Moodle's curl now trusts the system CAs and {$options['trust-cert']} ($cafile)\n";
}

purge_caches(['muc' => true]);
echo "issuer $id \"$name\" ready; client id $clientid; register this redirect URI at the IdP: "
    . $CFG->wwwroot . "/admin/oauth2callback.php\n";
