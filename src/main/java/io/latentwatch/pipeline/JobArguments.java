package io.latentwatch.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.configuration.Configuration;

/**
 * {@link ScoringJob#main(String[])}'s arguments as the job's configuration: the flags of {@link JobFlags} ({@code
 * --bootstrap-servers H:P --model DIR --fine-tune}), and any option by its key ({@code --latentwatch.scoring.max-batch-size
 * 64}) or Flink setting ({@code --parallelism.default 4}). Either as {@code --name value} or {@code --name=value}; a switch
 * ({@code --fine-tune}) takes no value, and a key without one means true.
 *
 * <p>A flag beats its option's key wherever each stands, as {@code latentwatch run}'s flags beat {@code -D}; of two
 * values for one flag or key the last counts.
 */
public final class JobArguments {

    private JobArguments() {}

    /**
     * The configuration of the arguments.
     *
     * @throws IllegalArgumentException for an argument that is no flag, an unknown flag or a flag's bad value, naming it
     */
    public static Configuration parse(String... args) {
        Configuration conf = new Configuration();
        Map<JobFlag<?>, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new IllegalArgumentException("expected --flag [value], got '" + a + "'");
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            JobFlag<?> flag = JobFlags.named(name).orElse(null);
            boolean takesValue = flag == null || !flag.isSwitch();
            if (value == null && takesValue && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            }
            if (flag != null && flag.isSwitch() && value != null) {
                throw new IllegalArgumentException(name + " takes no value, got '" + value + "'");
            }
            if (flag != null) {
                flag.parse(value); // a bad value is refused here, named by its flag
                flags.remove(flag); // the last one counts
                flags.put(flag, value);
            } else if (name.contains(".")) {
                conf.setString(name.substring(2), value == null ? "true" : value); // an option by its key, or a Flink setting
            } else {
                TreeSet<String> known = new TreeSet<>();
                JobFlags.all().forEach(f -> f.names().forEach(n -> known.add(n.substring(2))));
                throw new IllegalArgumentException("unknown flag " + name + " (known: " + known + ", or any latentwatch.* option key)");
            }
        }
        flags.forEach((flag, value) -> flag.set(conf, value));
        return conf;
    }
}
