<?php
// Run once in the moodle container after start (compose mode's provision step):
//   php /poc-provision/enable_webservices.php
// Enables web services and REST, and a service "os2skole_poc" holding the functions the harness's
// moodle-ws adapter calls (poc/protocols/moodle_ws.py), open to all users with the capability.
define('CLI_SCRIPT', true);
require('/bitnami/moodle/config.php');
require_once($CFG->dirroot . '/webservice/lib.php');
set_config('enablewebservices', 1);
set_config('webserviceprotocols', 'rest');
set_config('enablemobilewebservice', 1);
$functions = ['core_webservice_get_site_info', 'core_user_create_users', 'core_user_update_users',
    'core_user_get_users_by_field', 'core_user_delete_users', 'core_role_assign_roles', 'core_course_create_courses',
    'core_course_delete_courses', 'enrol_manual_enrol_users', 'core_enrol_get_enrolled_users',
    'core_enrol_get_users_courses', 'core_course_get_contents', 'mod_assign_get_assignments',
    'mod_assign_save_submission', 'mod_assign_submit_for_grading', 'mod_assign_get_submissions',
    'mod_assign_save_grade', 'mod_assign_get_submission_status'];
$manager = new webservice();
$service = $manager->get_external_service_by_shortname('os2skole_poc');
if (!$service) {
    $id = $manager->add_external_service((object)['name' => 'OS2skole PoC', 'shortname' => 'os2skole_poc',
        'enabled' => 1, 'restrictedusers' => 0, 'downloadfiles' => 1, 'uploadfiles' => 1]);
} else {
    $id = $service->id;
}
foreach ($functions as $f) {
    if (!$manager->service_function_exists($f, $id)) {
        $manager->add_external_function_to_service($f, $id);
    }
}
// every authenticated user may create a token for the service (pupils and teachers log in with it)
$role = $DB->get_record('role', ['shortname' => 'user']);
assign_capability('webservice/rest:use', CAP_ALLOW, $role->id, context_system::instance()->id, true);
assign_capability('moodle/webservice:createtoken', CAP_ALLOW, $role->id, context_system::instance()->id, true);
echo "web services enabled; service os2skole_poc has " . count($functions) . " functions\n";
