<?php
/*
 * wp-config.php of the wordpress image (R9). Everything comes from the
 * container's environment (templates/wordpress.yaml; php-fpm.conf passes it
 * to PHP): the database and the site's address, http://LB_IP:WORDPRESS_PORT,
 * read on every request, so a changed LoadBalancer address follows at once.
 *
 * The keys and salts (AUTH_KEY ...) are not defined here: WordPress's
 * wp_salt() then generates each one at random and keeps it in the database
 * (options auth_key, auth_salt, ...), which MySQL's volume keeps;
 * wp-install.php makes them at first start. So they are per installation,
 * in no image and no file, and need no secret of their own.
 */

$ftboot_env = static function (string $name): string {
	$value = getenv($name);
	if (!is_string($value) || $value === '') {
		if (PHP_SAPI !== 'cli') {
			http_response_code(500);
		}
		error_log("wp-config.php: the environment variable $name is not set");
		exit("wp-config.php: the environment variable $name is not set\n");
	}
	return $value;
};

define('DB_NAME', $ftboot_env('DB_NAME'));
define('DB_USER', $ftboot_env('DB_USER'));
define('DB_PASSWORD', $ftboot_env('DB_PASSWORD'));
define('DB_HOST', $ftboot_env('DB_HOST') . ':' . $ftboot_env('DB_PORT'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';

$ftboot_host = $ftboot_env('LB_IP');
if (strpos($ftboot_host, ':') !== false) {
	$ftboot_host = '[' . $ftboot_host . ']'; /* an IPv6 address */
}
define('WP_HOME', 'http://' . $ftboot_host . ':' . $ftboot_env('WORDPRESS_PORT'));
define('WP_SITEURL', WP_HOME);
unset($ftboot_env, $ftboot_host);

/* The code is the image's: no updates or plugin installs from the admin. */
define('DISALLOW_FILE_MODS', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_DEBUG', false);

if (!defined('ABSPATH')) {
	define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
