package io.latentwatch.cli;

import io.latentwatch.pipeline.JobFlag;
import io.latentwatch.pipeline.JobFlags;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The job's flags ({@link JobFlags}) as options of the command this is mixed into, and {@link #applyTo(Configuration)},
 * which sets the option of each flag the user typed, and only those: a flag has no default of its own, so the
 * configuration keeps a {@code -D} value of a flag not given, and else the option's default applies.
 */
@Command
final class JobFlagsMixin {

    /** The options added to the command, with their flags. */
    private final Map<OptionSpec, JobFlag<?>> options = new LinkedHashMap<>();

    private CommandSpec command;

    /** Called by picocli with the command this is mixed into: the table's flags become its options. */
    @Spec(Spec.Target.MIXEE)
    void addOptions(CommandSpec mixee) {
        this.command = mixee;
        for (JobFlag<?> flag : JobFlags.all()) {
            OptionSpec.Builder option = OptionSpec.builder(flag.names().toArray(String[]::new))
                    .description(flag.help());
            if (flag.isSwitch()) {
                option.type(boolean.class).arity("0");
            } else {
                // the text is kept as typed and checked here, so a bad value is one line naming the flag
                option.type(String.class).paramLabel(flag.paramLabel()).converters((CommandLine.ITypeConverter<String>) text -> {
                    try {
                        flag.parse(text);
                        return text;
                    } catch (IllegalArgumentException e) {
                        // picocli names the flag before this
                        throw new CommandLine.TypeConversionException("expected " + flag.expects() + ", got '" + text + "'");
                    }
                });
            }
            OptionSpec spec = option.build();
            mixee.addOption(spec);
            options.put(spec, flag);
        }
    }

    /** Sets into {@code conf} the option of every flag on the parsed command line, over what it has. */
    void applyTo(Configuration conf) {
        ParseResult parsed = command.commandLine().getParseResult();
        options.forEach((spec, flag) -> {
            if (parsed.hasMatchedOption(spec)) {
                flag.set(conf, flag.isSwitch() ? null : spec.getValue());
            }
        });
    }
}
