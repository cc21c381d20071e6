<?php
// Prepares a Moodle site for the OS2skole PoC harness, as its administrator would, once:
//
//   php enable_webservices.php /path/to/moodle/config.php        (as the web server's user)
//
// (compose mode runs it in the container; on any other deployment the administrator runs it with
// the path of that site's config.php). It
//   1. enables web services and the REST protocol, and the mobile app's service properly (the
//      setting enablemobilewebservice alone does not enable the service itself);
//   2. adds a service "os2skole_poc" holding the functions the harness's moodle-ws adapter calls
//      (poc/protocols/moodle_ws.py), open to every user allowed to use it: pupils and teachers get
//      their own tokens from /login/token.php;
//   3. creates a token for the administrator for that service (Moodle never creates one on request
//      for a site administrator, by design) and prints it ONCE: give it to the harness in the
//      variable POC_MOODLE_ADMIN_TOKEN (never on a command line or in a file);
//   4. creates the course category "OS2skole PoC" and in it a template course (short name
//      OS2SKOLE-POC-TEMPLATE) with a page (a lesson) and an assignment (online text hand-in):
//      Moodle's web services cannot add an activity to a course, so the harness's teacher imports
//      them from this template into the class (core_course_import_course, Moodle's "Import") and
//      renames them, as a teacher reuses material.
// Running it again changes nothing that exists, and prints a new token.
define('CLI_SCRIPT', true);
if ($argc < 2 || !is_file($argv[1])) {
    fwrite(STDERR, "usage: php enable_webservices.php /path/to/moodle/config.php\n");
    exit(2);
}
require($argv[1]);
require_once($CFG->dirroot . '/webservice/lib.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->dirroot . '/course/modlib.php');

const SERVICE = 'os2skole_poc';
const CATEGORY = 'OS2skole PoC';
const TEMPLATE = 'OS2SKOLE-POC-TEMPLATE';

// 1. web services, REST, the mobile service
set_config('enablewebservices', 1);
$protocols = array_filter(explode(',', get_config('core', 'webserviceprotocols') ?: ''));
if (!in_array('rest', $protocols)) {
    $protocols[] = 'rest';
    set_config('webserviceprotocols', implode(',', $protocols));
}
set_config('enablemobilewebservice', 1);
$DB->set_field('external_services', 'enabled', 1, ['shortname' => MOODLE_OFFICIAL_MOBILE_SERVICE]);

// 2. the service and its functions
$functions = ['core_webservice_get_site_info', 'core_user_create_users', 'core_user_update_users',
    'core_user_get_users_by_field', 'core_user_delete_users', 'core_role_assign_roles', 'core_role_unassign_roles',
    'core_course_create_courses', 'core_course_delete_courses', 'core_course_get_courses_by_field',
    'core_course_get_categories', 'core_course_import_course', 'core_course_edit_module',
    'core_update_inplace_editable', 'enrol_manual_enrol_users', 'core_enrol_get_enrolled_users',
    'core_enrol_get_course_enrolment_methods', 'core_enrol_get_potential_users',
    'core_enrol_get_users_courses', 'core_course_get_contents', 'mod_page_get_pages_by_courses',
    'mod_assign_get_assignments', 'mod_assign_save_submission', 'mod_assign_submit_for_grading',
    'mod_assign_get_submissions', 'mod_assign_save_grade', 'mod_assign_get_submission_status',
    // the data privacy tool (PRI-05, PRI-06: suites/moodle/admin.py): the administrator approves and follows a
    // request made on the Data requests page; Moodle 4.3 has no web-service function that creates one
    'tool_dataprivacy_approve_data_request', 'tool_dataprivacy_get_data_request'];
$manager = new webservice();
$service = $manager->get_external_service_by_shortname(SERVICE);
if (!$service) {
    $id = $manager->add_external_service((object)['name' => 'OS2skole PoC', 'shortname' => SERVICE,
        'enabled' => 1, 'restrictedusers' => 0, 'downloadfiles' => 1, 'uploadfiles' => 1]);
    $service = $manager->get_external_service_by_id($id);
}
foreach ($functions as $f) {
    if (!$manager->service_function_exists($f, $service->id)) {
        $manager->add_external_function_to_service($f, $service->id);
    }
}
// every authenticated user may use REST and create a token for the service (pupils, teachers)
$systemcontext = context_system::instance();
$role = $DB->get_record('role', ['shortname' => 'user'], '*', MUST_EXIST);
assign_capability('webservice/rest:use', CAP_ALLOW, $role->id, $systemcontext->id, true);
assign_capability('moodle/webservice:createtoken', CAP_ALLOW, $role->id, $systemcontext->id, true);

// 4. the category and the template course with a page and an assignment
$category = $DB->get_record('course_categories', ['name' => CATEGORY]);
if (!$category) {
    $category = core_course_category::create(['name' => CATEGORY, 'parent' => 0,
        'description' => 'Courses made by the OS2skole PoC harness (removed again at the end of each run).']);
}
$categoryid = is_object($category) && isset($category->id) ? $category->id : $category->id;
$course = $DB->get_record('course', ['shortname' => TEMPLATE]);
if (!$course) {
    $course = create_course((object)['fullname' => 'OS2skole PoC – skabelon', 'shortname' => TEMPLATE,
        'category' => $categoryid, 'visible' => 0, 'format' => 'topics', 'numsections' => 1]);
}
$modinfo = get_fast_modinfo($course);
$have = [];
foreach ($modinfo->get_cms() as $cm) {
    $have[$cm->modname] = true;
}
$common = ['course' => $course->id, 'section' => 0, 'visible' => 1, 'visibleoncoursepage' => 1,
    'cmidnumber' => '', 'groupmode' => 0, 'groupingid' => 0, 'availability' => null, 'completion' => 0,
    'showdescription' => 0, 'introformat' => FORMAT_HTML];
if (empty($have['page'])) {
    $page = (object)array_merge($common, ['modulename' => 'page', 'module' => $DB->get_field('modules', 'id', ['name' => 'page']),
        'name' => 'Lektion (skabelon)', 'intro' => '<p>Lektion fra OS2skole PoC-skabelonen.</p>',
        'content' => '<p>Læs side 12–15 og lav opgave 1–4.</p>', 'contentformat' => FORMAT_HTML,
        'display' => 5, 'printintro' => 0, 'printlastmodified' => 1, 'revision' => 1]);
    add_moduleinfo($page, $course);
}
if (empty($have['assign'])) {
    $assign = (object)array_merge($common, ['modulename' => 'assign', 'module' => $DB->get_field('modules', 'id', ['name' => 'assign']),
        'name' => 'Aflevering (skabelon)', 'intro' => '<p>Skriv din tekst og aflever den.</p>',
        'alwaysshowdescription' => 1, 'submissiondrafts' => 0, 'requiresubmissionstatement' => 0,
        'sendnotifications' => 0, 'sendlatenotifications' => 0, 'sendstudentnotifications' => 0,
        'duedate' => 0, 'cutoffdate' => 0, 'gradingduedate' => 0, 'allowsubmissionsfromdate' => 0,
        'grade' => 100, 'teamsubmission' => 0, 'requireallteammemberssubmit' => 0, 'blindmarking' => 0,
        'markingworkflow' => 0, 'markingallocation' => 0, 'attemptreopenmethod' => 'none', 'maxattempts' => -1,
        'assignsubmission_onlinetext_enabled' => 1, 'assignsubmission_file_enabled' => 0,
        'assignfeedback_comments_enabled' => 1, 'preventsubmissionnotingroup' => 0, 'teamsubmissiongroupingid' => 0,
        'hidegrader' => 0, 'markinganonymous' => 0]);
    add_moduleinfo($assign, $course);
}

// 3. the administrator's token for the service
$admin = get_admin();
$token = \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $admin->id, $systemcontext,
    time() + 30 * DAYSECS, '', 'OS2skole PoC harness');

echo "web services and REST enabled; service " . SERVICE . " has " . count($functions) . " functions\n";
echo "category '" . CATEGORY . "' (id $categoryid), template course " . TEMPLATE . " (id {$course->id}) with a page and an assignment\n";
echo "the administrator's token for " . SERVICE . " (valid 30 days; give it to the harness as POC_MOODLE_ADMIN_TOKEN):\n";
echo $token . "\n";
