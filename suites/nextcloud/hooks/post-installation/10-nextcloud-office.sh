#!/bin/sh
# Nextcloud Office: the richdocuments app pointed at the Collabora service of this Compose project.
# Run once by the nextcloud image after installation (docker-entrypoint-hooks.d/post-installation).
set -eu
php /var/www/html/occ app:install richdocuments || php /var/www/html/occ app:enable richdocuments
php /var/www/html/occ config:app:set richdocuments wopi_url --value="$POC_COLLABORA_INTERNAL_URL"
php /var/www/html/occ config:app:set richdocuments public_wopi_url --value="$POC_COLLABORA_PUBLIC_URL"
php /var/www/html/occ config:app:set richdocuments wopi_allowlist --value="0.0.0.0/0"
php /var/www/html/occ richdocuments:activate-config || true
