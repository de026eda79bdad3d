package io.latentwatch.pipeline;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

/**
 * One flag of the job's command line ({@link JobFlags}): its names, the {@link ScoringJobOptions} option it sets, and
 * its help text. A flag with a value ({@code --max-batch-size 64}) sets the option to the value, read the way Flink
 * reads the option (enum values also with dashes: {@code at-least-once}); a switch ({@code --fine-tune}) takes no value
 * and sets the option to a fixed one.
 *
 * <p>A flag has no default of its own: an option the user does not name keeps what the configuration has, else the
 * option's default. The help text shows that default, written as the flag takes it.
 *
 * @param <T> the option's type
 */
public final class JobFlag<T> {

    /** Where a help text shows the default value. */
    static final String DEFAULT = "{default}";

    private final List<String> names;
    private final ConfigOption<T> option;
    /** The option's type (Flink keeps its own to itself). */
    private final Class<T> type;
    private final String paramLabel;
    private final String help;
    /** A switch's value; null for a flag with a value. */
    private final T switchValue;
    private final String defaultText;

    private JobFlag(List<String> names, ConfigOption<T> option, Class<T> type, String paramLabel, String help, T switchValue,
            String defaultText) {
        this.names = List.copyOf(names);
        this.option = option;
        this.type = type;
        this.paramLabel = paramLabel;
        this.help = help;
        this.switchValue = switchValue;
        this.defaultText = defaultText;
    }

    /**
     * A flag that takes a value.
     *
     * @param type the option's type
     * @param help the help text; {@value #DEFAULT} in it becomes the option's default
     * @param names the flag's names, the first one the flag's own ({@code --max-batch-size}), then aliases
     */
    static <T> JobFlag<T> valued(ConfigOption<T> option, Class<T> type, String paramLabel, String help, String... names) {
        return new JobFlag<>(Arrays.asList(names), option, type, paramLabel, help, null, null);
    }

    /** A switch: a flag without a value that sets the option to {@code value}. */
    @SuppressWarnings("unchecked")
    static <T> JobFlag<T> toggle(ConfigOption<T> option, T value, String help, String... names) {
        return new JobFlag<>(Arrays.asList(names), option, (Class<T>) value.getClass(), null, help, value, null);
    }

    /** The same flag with a default that the option cannot say (one that depends on other settings, or on where it runs). */
    JobFlag<T> withDefaultText(String text) {
        return new JobFlag<>(names, option, type, paramLabel, help, switchValue, text);
    }

    /** Every name, with its dashes, the first one the flag's own. */
    public List<String> names() {
        return names;
    }

    /** The flag's own name, with its dashes. */
    public String name() {
        return names.get(0);
    }

    /** The option it sets. */
    public ConfigOption<T> option() {
        return option;
    }

    /** Whether it takes no value (and sets a fixed one). */
    public boolean isSwitch() {
        return switchValue != null;
    }

    /** What its value is, for help texts ({@code N}, {@code DURATION}, ...); null for a switch. */
    public String paramLabel() {
        return paramLabel;
    }

    /** The help text, with the default filled in. */
    public String help() {
        return help.replace(DEFAULT, defaultText());
    }

    /** The default as the flag takes it: {@code 20ms}, {@code exactly-once}, or what the flag says for one the option has not. */
    String defaultText() {
        if (defaultText != null) {
            return defaultText;
        }
        return option.hasDefaultValue() ? flagText(option.defaultValue()) : "none";
    }

    /**
     * The option's value for a flag's text: read as Flink reads the option, or a switch's value when {@code text} is null.
     *
     * @throws IllegalArgumentException naming the flag and what it takes
     */
    public T parse(String text) {
        if (isSwitch() && text == null) {
            return switchValue;
        }
        if (text == null) {
            throw new IllegalArgumentException(name() + " needs a value (" + paramLabel + ")");
        }
        String value = text.trim();
        if (type.isEnum()) {
            value = value.replace('-', '_'); // Flink reads enum values in any case, but with underscores
        }
        Configuration scratch = new Configuration();
        scratch.setString(option.key(), value);
        try {
            return scratch.get(option);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name() + " takes " + expects() + ", got '" + text + "'", e);
        }
    }

    /**
     * Sets the option for a flag's text into a configuration, over any value it has there.
     *
     * @throws IllegalArgumentException as {@link #parse(String)}
     */
    public void set(Configuration conf, String text) {
        conf.set(option, parse(text));
    }

    /** What the flag's value must be, for messages: {@code a whole number}, {@code exactly-once or at-least-once}, ... */
    public String expects() {
        if (type.isEnum()) {
            List<String> values = Arrays.stream(type.getEnumConstants()).map(JobFlag::flagText).collect(Collectors.toList());
            return String.join(", ", values.subList(0, values.size() - 1)) + " or " + values.get(values.size() - 1);
        }
        if (type == Integer.class || type == Long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == Float.class) {
            return "a number";
        }
        if (type == Duration.class) {
            return "a duration (e.g. 20ms, 2s, 1min)";
        }
        if (type == Boolean.class) {
            return "true or false";
        }
        if (type == MemorySize.class) {
            return "a size in bytes (e.g. 16384 or 16kb)";
        }
        return "a " + type.getSimpleName().toLowerCase(Locale.ROOT);
    }

    /** A value as a flag takes it: durations as 20ms or 2s, sizes as 16kb, enum values in lower case with dashes. */
    static String flagText(Object value) {
        if (value instanceof Duration d) {
            return TimeUtils.formatWithHighestUnit(d).replace(" ", "");
        }
        if (value instanceof MemorySize m) {
            return m.toString().replace(" ", "");
        }
        if (value instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
        return String.valueOf(value);
    }

    @Override
    public String toString() {
        return name() + " (" + option.key() + ")";
    }
}
