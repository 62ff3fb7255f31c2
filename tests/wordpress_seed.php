<?php
/*
 * Commands run inside a test WordPress by tests/wordpress_site.py (php CLI, Debian's package):
 *   install URL      wp_install, pretty permalinks, Tehran time zone
 *   theme NAME       switch_theme
 *   seed             posts, pages, attachments, users, terms, comments and edits from the JSON
 *                    on stdin, through WordPress's own API; prints ids and permalinks as JSON
 *   get ID           one post's permalink, dates and status (for edits made by a test)
 *   update JSON      wp_update_post with the JSON fields on stdin
 * The last line printed is the JSON answer.
 */
$command = $argv[1] ?? '';
$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
$host = parse_url(getenv('NEWSHUB_WP_HOST'));
$_SERVER['HTTP_HOST'] = $host['host'] . ':' . $host['port'];
$_SERVER['SERVER_NAME'] = $host['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
if ($command === 'install') {
    define('WP_INSTALLING', true);
}
require '/usr/share/wordpress/wp-load.php';

function answer($value) {
    echo "\n" . json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES) . "\n";
}

function fail($message) {
    fwrite(STDERR, $message . "\n");
    exit(1);
}

function check($value, $what) {
    if (is_wp_error($value) || !$value) {
        fail($what . ': ' . (is_wp_error($value) ? $value->get_error_message() : 'failed'));
    }
    return $value;
}

if ($command === 'install') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    $result = wp_install('Webangah News Hub', 'admin', 'admin@example.com', true, '', 'admin-pass');
    wp_delete_post(1, true);  // "Hello world!": not one of the seeded posts ("Sample Page" stays)
    update_option('timezone_string', 'Asia/Tehran');
    update_option('posts_per_page', 10);
    update_option('permalink_structure', '/%year%/%monthnum%/%day%/%postname%/');
    update_option('default_comment_status', 'open');
    flush_rewrite_rules(false);
    answer(array('user_id' => $result['user_id']));
} elseif ($command === 'theme') {
    switch_theme($argv[2]);
    check(get_stylesheet() === $argv[2], 'switch_theme ' . $argv[2]);
    answer(array('theme' => get_stylesheet()));
} elseif ($command === 'seed') {
    $spec = check(json_decode(stream_get_contents(STDIN), true), 'seed JSON');
    $users = array();
    foreach ($spec['users'] as $user) {
        $users[$user['login']] = check(wp_insert_user(array(
            'user_login' => $user['login'],
            'user_pass' => wp_generate_password(),
            'user_email' => $user['login'] . '@example.com',
            'display_name' => $user['display_name'],
            'nickname' => $user['display_name'],
            'role' => 'author',
        )), 'wp_insert_user');
    }
    $categories = array();
    foreach ($spec['categories'] as $name) {
        $term = check(wp_insert_term($name, 'category'), 'wp_insert_term ' . $name);
        $categories[$name] = $term['term_id'];
    }
    $posts = array();
    foreach ($spec['posts'] as $post) {
        $id = check(wp_insert_post(array(
            'post_title' => $post['title'],
            'post_content' => $post['content'],
            'post_status' => 'publish',
            'post_type' => 'post',
            'post_author' => $users[$post['author']],
            'post_date' => get_date_from_gmt($post['date_gmt']),
            'post_date_gmt' => $post['date_gmt'],
        ), true), 'wp_insert_post');
        wp_set_post_terms($id, array($categories[$post['category']]), 'category');
        wp_set_post_terms($id, $post['tags'], 'post_tag');
        foreach ($post['comments'] as $i => $text) {
            check(wp_insert_comment(array(
                'comment_post_ID' => $id,
                'comment_author' => 'Reader ' . ($i + 1),
                'comment_author_email' => 'reader' . ($i + 1) . '@example.com',
                'comment_content' => $text,
                'comment_approved' => 1,
                'comment_date_gmt' => $post['date_gmt'],
                'comment_date' => get_date_from_gmt($post['date_gmt']),
            )), 'wp_insert_comment');
        }
        if (!empty($post['edit'])) {
            check(wp_update_post(array_merge(array('ID' => $id), $post['edit']), true), 'wp_update_post');
        }
        $saved = get_post($id);
        $posts[$post['key']] = array(
            'id' => $id,
            'link' => get_permalink($id),
            'shortlink' => wp_get_shortlink($id),
            'date_gmt' => $saved->post_date_gmt,
            'modified_gmt' => $saved->post_modified_gmt,
        );
    }
    $attachments = array();
    $parents = array_values($posts);
    foreach ($spec['attachments'] as $i => $title) {
        $parent = $parents[$i % count($parents)]['id'];
        $id = check(wp_insert_attachment(array(
            'post_title' => $title,
            'post_mime_type' => 'image/jpeg',
            'post_status' => 'inherit',
            'guid' => home_url('/wp-content/uploads/photo-' . ($i + 1) . '.jpg'),
        ), false, $parent, true), 'wp_insert_attachment');
        $attachments[] = array('id' => $id, 'link' => get_attachment_link($id));
    }
    $pages = array();
    foreach ($spec['pages'] as $page) {
        $content = $page['content'];
        if (!empty($page['links_other_urls'])) {
            // The same posts by their ?p=ID shortlink, without the trailing slash, and with a
            // comment anchor: WordPress redirects the first two to the permalink.
            foreach (array_slice($posts, 0, $page['links_other_urls']) as $p) {
                foreach (array($p['shortlink'], untrailingslashit($p['link']), $p['link'] . '#comments') as $href) {
                    $content .= "\n<!-- wp:paragraph -->\n<p><a href=\"" . esc_url($href)
                        . "\">Story " . $p['id'] . "</a></p>\n<!-- /wp:paragraph -->";
                }
            }
        }
        if (!empty($page['links_attachments'])) {
            foreach ($attachments as $a) {
                $content .= "\n<!-- wp:paragraph -->\n<p><a href=\"" . esc_url($a['link'])
                    . "\">Photo " . $a['id'] . "</a></p>\n<!-- /wp:paragraph -->";
            }
        }
        $id = check(wp_insert_post(array(
            'post_title' => $page['title'],
            'post_content' => $content,
            'post_status' => 'publish',
            'post_type' => 'page',
        ), true), 'wp_insert_post page');
        $pages[] = array('id' => $id, 'link' => get_permalink($id));
    }
    answer(array('posts' => $posts, 'pages' => $pages, 'attachments' => $attachments));
} elseif ($command === 'get') {
    $saved = check(get_post((int) $argv[2]), 'get_post');
    answer(array(
        'id' => $saved->ID,
        'link' => get_permalink($saved->ID),
        'status' => $saved->post_status,
        'date_gmt' => $saved->post_date_gmt,
        'modified_gmt' => $saved->post_modified_gmt,
    ));
} elseif ($command === 'update') {
    $fields = check(json_decode(stream_get_contents(STDIN), true), 'update JSON');
    $id = check(wp_update_post($fields, true), 'wp_update_post');
    answer(array('id' => $id, 'link' => get_permalink($id)));
} else {
    fail('unknown command ' . $command);
}
