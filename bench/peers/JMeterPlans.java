// Runs Debian's JMeter 2.13 with the test plans of `make bench` (bench/bench_peers.py).
//
// Debian builds JMeter 2.13 against its own XStream (1.4.20), whose security framework refuses every
// type not on an allow-list, so the packaged `jmeter` refuses every test plan
// ("ForbiddenClassException: org.apache.jmeter.save.ScriptWrapper"). This launcher lets JMeter's own
// save service read JMeter's own types (org.apache.jmeter.**, org.apache.jorphan.**) and nothing
// more, then starts JMeter as /usr/bin/jmeter does (NewDriver). Run with Java's source launcher:
//   java -Djmeter.home=/usr/share/jmeter -cp /usr/share/jmeter/bin/ApacheJMeter.jar JMeterPlans.java -n -t plan.jmx ...
import java.lang.reflect.Field;
import java.lang.reflect.Method;

public class JMeterPlans {
    public static void main(String[] args) throws Exception {
        Class<?> driver = Class.forName("org.apache.jmeter.NewDriver");
        Field f = driver.getDeclaredField("loader");
        f.setAccessible(true);
        ClassLoader loader = (ClassLoader) f.get(null);  // the loader JMeter runs in (lib/ and lib/ext/)
        Thread.currentThread().setContextClassLoader(loader);
        // the save service reads its properties when it is first loaded: load JMeter's properties first
        String home = System.getProperty("jmeter.home", "/usr/share/jmeter");
        Class<?> utils = Class.forName("org.apache.jmeter.util.JMeterUtils", true, loader);
        utils.getMethod("setJMeterHome", String.class).invoke(null, home);
        utils.getMethod("loadJMeterProperties", String.class).invoke(null, home + "/bin/jmeter.properties");
        Class<?> save = Class.forName("org.apache.jmeter.save.SaveService", true, loader);
        Class<?> xstream = Class.forName("com.thoughtworks.xstream.XStream", true, loader);
        Method allow = xstream.getMethod("allowTypesByWildcard", String[].class);
        for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
            Field saver = save.getDeclaredField(name);
            saver.setAccessible(true);
            allow.invoke(saver.get(null), (Object) new String[] {"org.apache.jmeter.**", "org.apache.jorphan.**"});
        }
        Method main = driver.getMethod("main", String[].class);
        main.invoke(null, (Object) args);
    }
}
