<?php
/*
 * wp-install.php: run by entrypoint.sh (PHP CLI) before nginx and php-fpm
 * start (R9, E8). It waits, at most DB_WAIT seconds, for MySQL to accept
 * DB_USER on DB_NAME, then loads WordPress (WORDPRESS_DIR/wp-load.php and
 * wp-admin/includes/upgrade.php) and:
 *
 *   - installs it once (wp_install) with the administrator WP_ADMIN_USER,
 *     WP_ADMIN_EMAIL, WP_ADMIN_PASSWORD, unless it is installed already
 *     (then only updates the database if the image's WordPress is newer);
 *   - makes sure the administrator and user1 .. userWP_USER_COUNT exist
 *     (user1 an author, the others subscribers, mail userN@ the admin's
 *     domain, password WP_USER_PASSWORD), creating only those missing;
 *   - sets each one's password to the secret's if it no longer matches
 *     (a regenerated secret wins; the same secret changes nothing);
 *   - sets the options siteurl and home to http://LB_IP:WORDPRESS_PORT
 *     (wp-config.php defines them too; this keeps the database in step);
 *   - makes the keys and salts (see wp-config.php).
 *
 * A second start with the same environment writes nothing. Users are never
 * deleted, nor their other fields changed. Progress goes to stderr; it
 * exits 1 with the reason on any failure, including WordPress stopping by
 * itself (wp_die prints HTML and exits 0: the shutdown check catches it).
 */

declare(strict_types=1);

function ftboot_say(string $message): void
{
	fwrite(STDERR, "wp-install: $message\n");
}

function ftboot_fail(string $message): void
{
	ftboot_say($message);
	$GLOBALS['ftboot_done'] = true; /* said why: nothing more to say */
	exit(1);
}

function ftboot_env(string $name): string
{
	$value = getenv($name);
	if (!is_string($value) || $value === '') {
		ftboot_fail("the environment variable $name is not set");
	}
	return $value;
}

$ftboot_done = false;
register_shutdown_function(static function (): void {
	if (!$GLOBALS['ftboot_done']) {
		ftboot_say('WordPress stopped before the install was done (see above)');
		exit(1);
	}
});

$ftboot_dir = rtrim(ftboot_env('WORDPRESS_DIR'), '/');
$ftboot_wait = (int) ftboot_env('DB_WAIT');
$ftboot_count = ftboot_env('WP_USER_COUNT');
if (!ctype_digit($ftboot_count) || (int) $ftboot_count > 100) {
	ftboot_fail("WP_USER_COUNT must be a number from 0 to 100, not '$ftboot_count'");
}
$ftboot_count = (int) $ftboot_count;

/* MySQL answers and lets DB_USER in: what is waited for, said every 10 s. */
$ftboot_db_host = ftboot_env('DB_HOST');
$ftboot_db_port = (int) ftboot_env('DB_PORT');
$ftboot_db_user = ftboot_env('DB_USER');
$ftboot_db_name = ftboot_env('DB_NAME');
$ftboot_what = "MySQL at $ftboot_db_host:$ftboot_db_port to let '$ftboot_db_user' use '$ftboot_db_name'";
mysqli_report(MYSQLI_REPORT_OFF);
$ftboot_t0 = microtime(true);
$ftboot_said = $ftboot_t0;
for (;;) {
	$ftboot_db = mysqli_init();
	$ftboot_db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
	if (@$ftboot_db->real_connect($ftboot_db_host, $ftboot_db_user, ftboot_env('DB_PASSWORD'), $ftboot_db_name, $ftboot_db_port)) {
		$ftboot_db->close();
		break;
	}
	$ftboot_error = mysqli_connect_error() ?? 'no answer';
	$ftboot_now = microtime(true);
	if ($ftboot_now - $ftboot_t0 >= $ftboot_wait) {
		ftboot_fail("gave up waiting $ftboot_wait s for $ftboot_what: $ftboot_error");
	}
	if ($ftboot_now - $ftboot_said >= 10) {
		ftboot_say(sprintf('waiting for %s (%d s of %d): %s', $ftboot_what, $ftboot_now - $ftboot_t0, $ftboot_wait, $ftboot_error));
		$ftboot_said = $ftboot_now;
	}
	usleep(500000);
}

/* WordPress as wp-admin/install.php loads it, without a web request. */
$ftboot_url_host = ftboot_env('LB_IP') . ':' . ftboot_env('WORDPRESS_PORT');
$_SERVER['HTTP_HOST'] = $ftboot_url_host;
$_SERVER['SERVER_NAME'] = ftboot_env('LB_IP');
$_SERVER['SERVER_PORT'] = ftboot_env('WORDPRESS_PORT');
$_SERVER['REQUEST_URI'] = '/wp-admin/install.php';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
define('WP_INSTALLING', true);

/* No mail at install (the container has no mailer). */
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password)
{
}

require $ftboot_dir . '/wp-load.php';
require ABSPATH . 'wp-admin/includes/upgrade.php';

/*
 * What to hash for a password so that the login form accepts it:
 * WordPress adds slashes to $_POST and wp_authenticate() trims, so a
 * password typed in wp-login.php is checked as trim(wp_slash(typed)).
 */
function ftboot_form_password(string $password): string
{
	return trim(wp_slash($password));
}

function ftboot_user(string $login, string $password, string $email, string $role): void
{
	if (sanitize_user($login, true) !== $login || strlen($login) > 60) {
		ftboot_fail("'$login' is not a valid WordPress user name");
	}
	$stored = ftboot_form_password($password);
	$user = get_user_by('login', $login);
	if (!$user) {
		$id = wp_insert_user([
			'user_login' => $login,
			'user_pass' => $stored,
			'user_email' => $email,
			'role' => $role,
		]);
		if (is_wp_error($id)) {
			ftboot_fail("cannot create the user '$login': " . $id->get_error_message());
		}
		ftboot_say("created the user '$login' ($role)");
	} elseif (!wp_check_password($stored, $user->user_pass, $user->ID)) {
		wp_set_password($stored, $user->ID);
		ftboot_say("set the password of '$login' to the secret's (it had changed)");
	}
}

$ftboot_admin = ftboot_env('WP_ADMIN_USER');
$ftboot_email = ftboot_env('WP_ADMIN_EMAIL');
if (!is_email($ftboot_email)) {
	ftboot_fail("WP_ADMIN_EMAIL is not a mail address: '$ftboot_email'");
}
$ftboot_url = WP_HOME;

if (is_blog_installed()) {
	ftboot_say("WordPress is installed already: checking its users and address");
	/* A newer image's WordPress: its database update, as wp-admin would ask. */
	if ((int) get_option('db_version') !== (int) $GLOBALS['wp_db_version']) {
		wp_upgrade();
		ftboot_say('updated the database to WordPress ' . $GLOBALS['wp_version']);
	}
} else {
	if (sanitize_user($ftboot_admin, true) !== $ftboot_admin) {
		ftboot_fail("'$ftboot_admin' is not a valid WordPress user name");
	}
	wp_install('ft_services', $ftboot_admin, $ftboot_email, true, '',
		ftboot_form_password(ftboot_env('WP_ADMIN_PASSWORD')));
	if (!is_blog_installed()) {
		ftboot_fail('wp_install() did not install WordPress');
	}
	ftboot_say("installed WordPress at $ftboot_url, administrator '$ftboot_admin'");
}

ftboot_user($ftboot_admin, ftboot_env('WP_ADMIN_PASSWORD'), $ftboot_email, 'administrator');
$ftboot_domain = substr($ftboot_email, strrpos($ftboot_email, '@') + 1);
for ($ftboot_i = 1; $ftboot_i <= $ftboot_count; $ftboot_i++) {
	ftboot_user("user$ftboot_i", ftboot_env('WP_USER_PASSWORD'), "user$ftboot_i@$ftboot_domain", $ftboot_i === 1 ? 'author' : 'subscriber');
}

/* The rows themselves: get_option() answers WP_HOME and WP_SITEURL. */
foreach (['siteurl', 'home'] as $ftboot_option) {
	$ftboot_row = $wpdb->get_var($wpdb->prepare(
		"SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $ftboot_option));
	if ($ftboot_row !== $ftboot_url) {
		if ($wpdb->update($wpdb->options, ['option_value' => $ftboot_url], ['option_name' => $ftboot_option]) !== 1) {
			ftboot_fail("cannot set the option $ftboot_option: " . $wpdb->last_error);
		}
		wp_cache_delete('alloptions', 'options');
		ftboot_say("set $ftboot_option to $ftboot_url (was " . var_export($ftboot_row, true) . ')');
	}
}

foreach (['auth', 'secure_auth', 'logged_in', 'nonce', 'secret'] as $ftboot_scheme) {
	wp_salt($ftboot_scheme);
}

$ftboot_done = true;
ftboot_say('done');
