<?php
/*
 * config.inc.php of the phpmyadmin image (R10, E9), where Alpine's package
 * reads it (/etc/phpmyadmin/config.inc.php, linked from the code's
 * directory). Everything comes from the container's environment
 * (templates/phpmyadmin.yaml; php-fpm.conf passes it to PHP): one MySQL
 * server DB_HOST:DB_PORT, cookie login, the cookie key from
 * PMA_BLOWFISH_SECRET.
 *
 * Two ways in (R7, R10): directly on http://LB_IP:PHPMYADMIN_PORT/, and
 * through the nginx front's https://LB_IP/phpmyadmin/, which strips the
 * prefix and says so with X-Forwarded-Prefix (and X-Forwarded-Proto). Only
 * a request that names a prefix gets PmaAbsoluteUri https://LB_IP/PREFIX/:
 * phpMyAdmin takes the cookie path and its redirects from it, and https
 * (secure cookies) from its scheme. A direct request keeps phpMyAdmin's own
 * detection (path /, plain http), which a fixed https URI would break. The
 * header only shapes the URLs of the answer to the one who sent it.
 */

declare(strict_types=1);

$ftboot_env = static function (string $name): string {
	$value = getenv($name);
	if (!is_string($value) || $value === '') {
		http_response_code(500);
		error_log("config.inc.php: the environment variable $name is not set");
		exit("phpMyAdmin: the environment variable $name is not set\n");
	}
	return $value;
};

/* sodium's secretbox wants a 32-byte key: the secret's SHA-256. */
$cfg['blowfish_secret'] = hash('sha256', $ftboot_env('PMA_BLOWFISH_SECRET'), true);

$i = 1;
$cfg['Servers'][$i]['auth_type'] = 'cookie';
$cfg['Servers'][$i]['host'] = $ftboot_env('DB_HOST');
$cfg['Servers'][$i]['port'] = $ftboot_env('DB_PORT');
$cfg['Servers'][$i]['connect_type'] = 'tcp';
$cfg['Servers'][$i]['compress'] = false;
$cfg['Servers'][$i]['AllowNoPassword'] = false;

$cfg['TempDir'] = $ftboot_env('PMA_TEMP_DIR');
$cfg['UploadDir'] = '';
$cfg['SaveDir'] = '';
$cfg['VersionCheck'] = false;      /* no calls out */
$cfg['SendErrorReports'] = 'never';
$cfg['PmaNoRelation_DisableWarning'] = true;

$ftboot_prefix = $_SERVER['HTTP_X_FORWARDED_PREFIX'] ?? '';
if (is_string($ftboot_prefix) && preg_match('#^(/[A-Za-z0-9._~-]+)+/?$#', $ftboot_prefix) === 1) {
	$ftboot_scheme = ($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? 'https') === 'http' ? 'http' : 'https';
	$ftboot_host = $ftboot_env('LB_IP');
	if (strpos($ftboot_host, ':') !== false) {
		$ftboot_host = '[' . $ftboot_host . ']'; /* an IPv6 address */
	}
	$cfg['PmaAbsoluteUri'] = $ftboot_scheme . '://' . $ftboot_host . rtrim($ftboot_prefix, '/') . '/';
}
unset($ftboot_env, $ftboot_prefix, $ftboot_scheme, $ftboot_host);
