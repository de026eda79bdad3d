package io.latentwatch.deploy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;

/**
 * The configuration keys Flink 2.2 knows: every {@link ConfigOption} (key and deprecated or fallback keys) declared
 * in a {@code ...Options} class of the Flink jars on the test class path, plus the keys Flink builds from a name
 * (metrics reporters, external resources) and the keys of file system plugins ({@code s3.*}, passed to the
 * plugin as they are). A key that is none of these is a typo, or an option Flink 2 removed.
 */
final class FlinkConfigKeys {

    /** The Prometheus reporter's own option (PrometheusReporterFactory, in plugins/metrics-prometheus). */
    private static final Set<String> PROMETHEUS_REPORTER_KEYS = Set.of("port", "filterLabelValueCharacters");

    private static final Pattern REPORTER = Pattern.compile("metrics\\.reporter\\.[A-Za-z0-9_-]+\\.(.+)");
    private static final Pattern EXTERNAL_RESOURCE = Pattern.compile(
            "external-resource\\.[A-Za-z0-9_-]+\\.(amount|driver-factory\\.class|param\\..+|kubernetes\\.config-key|yarn\\.config-key)");

    private static volatile FlinkConfigKeys instance;

    private final Set<String> keys;
    private final Set<String> reporterKeys;

    private FlinkConfigKeys(Set<String> keys, Set<String> reporterKeys) {
        this.keys = keys;
        this.reporterKeys = reporterKeys;
    }

    static FlinkConfigKeys get() {
        if (instance == null) {
            instance = scan();
        }
        return instance;
    }

    boolean isKnown(String key) {
        if (keys.contains(key) || key.startsWith("s3.")) {
            return true;
        }
        var reporter = REPORTER.matcher(key);
        if (reporter.matches()) {
            return reporterKeys.contains(reporter.group(1)) || PROMETHEUS_REPORTER_KEYS.contains(reporter.group(1));
        }
        return EXTERNAL_RESOURCE.matcher(key).matches();
    }

    int size() {
        return keys.size();
    }

    private static FlinkConfigKeys scan() {
        Set<String> keys = new HashSet<>();
        Set<String> reporterKeys = new HashSet<>();
        for (String entry : classPath()) {
            File file = new File(entry);
            if (!file.getName().startsWith("flink-") || !file.getName().endsWith(".jar") || file.getName().contains("-tests")) {
                continue;
            }
            try (JarFile jar = new JarFile(file)) {
                for (JarEntry e : Collections.list(jar.entries())) {
                    String name = e.getName();
                    if (name.startsWith("org/apache/flink/") && name.endsWith("Options.class") && !name.contains("$")) {
                        collect(name.substring(0, name.length() - 6).replace('/', '.'), keys, reporterKeys);
                    }
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        if (keys.size() < 500) {
            throw new IllegalStateException("found only " + keys.size() + " Flink configuration keys on the class path");
        }
        return new FlinkConfigKeys(Set.copyOf(keys), Set.copyOf(reporterKeys));
    }

    private static void collect(String className, Set<String> keys, Set<String> reporterKeys) {
        Class<?> c;
        try {
            c = Class.forName(className, false, FlinkConfigKeys.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return; // an Options class whose dependencies are not here: not one we configure
        }
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) {
                continue;
            }
            ConfigOption<?> option;
            try {
                option = (ConfigOption<?>) f.get(null);
            } catch (IllegalAccessException | LinkageError e) {
                continue;
            }
            // MetricOptions declares the per-reporter options with keys relative to metrics.reporter.<name>.
            boolean relative = c.getSimpleName().equals("MetricOptions") && !option.key().startsWith("metrics.");
            (relative ? reporterKeys : keys).add(option.key());
            for (FallbackKey fallback : option.fallbackKeys()) {
                (relative ? reporterKeys : keys).add(fallback.getKey());
            }
        }
    }

    /** The test class path; under Surefire's manifest-only jar, the jars that manifest names. */
    private static Set<String> classPath() {
        Set<String> entries = new HashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(entry);
            File f = new File(entry);
            if (f.getName().startsWith("surefirebooter") || f.getName().startsWith("failsafe")) {
                try (JarFile jar = new JarFile(f)) {
                    String cp = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String url : cp.split(" ")) {
                            entries.add(new File(java.net.URI.create(url)).getPath());
                        }
                    }
                } catch (IOException | IllegalArgumentException e) {
                    // not a manifest-only jar
                }
            }
        }
        return entries;
    }
}
