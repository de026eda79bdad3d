package io.latentwatch.cli;

import io.latentwatch.model.ModelFormatException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code latentwatch} command: one subcommand per task of DESIGN.md's CLI table.
 *
 * <p>The streaming subcommands (demo, run, console, produce, broker, benchmark pipeline and faults) are registered only when Flink and
 * Kafka are on the class path: picocli reflects over every registered command's methods, and those name Flink and
 * Kafka types, so on the model-only class path of {@code scripts/gpu-kit.sh} they would stop every command. For the
 * same reason those that need the development broker or producer ({@code io.latentwatch.dev}: demo, produce, broker,
 * benchmark pipeline and faults) are registered only where that package is: the cluster jar leaves it out, and its
 * CLI offers run and the model commands.
 */
@Command(
        name = "latentwatch",
        mixinStandardHelpOptions = true,
        version = "latentwatch 0.1.0",
        description = "Real-time image anomaly scoring on Apache Flink with a DIP-VAE run through DJL.")
public final class LatentwatchCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    // read by main (LogFile) before the command line is parsed; here so that every command takes it
    @CommandLine.Option(names = LogFile.VERBOSE, scope = CommandLine.ScopeType.INHERIT,
            description = "show the log lines of Kafka, Flink and the JVM here instead of in the log file")
    boolean verbose;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        PrintStream terminal = LogFile.install(List.of(args), Path.of(System.getProperty("java.io.tmpdir")));
        CommandLine cl = commandLine();
        cl.setErr(new PrintWriter(new OutputStreamWriter(terminal, StandardCharsets.UTF_8), true));
        System.exit(cl.execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /**
     * The configured command line: a bad argument gets one readable line and exit code 2; a refused model, a
     * missing file or a bad value found while running gets one line and exit code 1.
     */
    public static CommandLine commandLine() {
        boolean streaming = onClassPath("org.apache.flink.configuration.Configuration")
                && onClassPath("org.apache.kafka.clients.consumer.ConsumerRecord");
        boolean dev = streaming && onClassPath("io.latentwatch.dev.EmbeddedKafka") && onClassPath("io.latentwatch.dev.FrameProducer");
        CommandLine cl = new CommandLine(new LatentwatchCommand());
        if (dev) {
            cl.addSubcommand(new DemoCommand());
        }
        cl.addSubcommand(new TrainCommand());
        cl.addSubcommand(new EvaluateCommand());
        cl.addSubcommand(new ImportPytorchCommand());
        cl.addSubcommand(new ScoreImagesCommand());
        if (streaming) {
            cl.addSubcommand(new RunCommand());
            cl.addSubcommand(new ConsoleCommand());
        }
        if (dev) {
            cl.addSubcommand(new ProduceCommand());
            cl.addSubcommand(new BrokerCommand());
        }
        cl.addSubcommand(new ModelsCommand());
        CommandLine benchmark = new CommandLine(new BenchmarkCommand());
        benchmark.addSubcommand(new BenchmarkModelCommand());
        benchmark.addSubcommand(new BenchmarkPrecisionCommand());
        benchmark.addSubcommand(new BenchmarkQualityCommand());
        if (dev) {
            benchmark.addSubcommand(new BenchmarkPipelineCommand());
            benchmark.addSubcommand(new BenchmarkFaultsCommand());
        }
        cl.addSubcommand(benchmark);
        // after the subcommands: picocli copies these settings to the subcommands registered at the time
        cl.setParameterExceptionHandler(
                (ex, args) -> {
                    CommandLine c = ex.getCommandLine();
                    c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see --help)");
                    return 2;
                });
        cl.setExecutionExceptionHandler(
                (ex, c, parseResult) -> {
                    c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + describe(ex));
                    return 1;
                });
        return cl;
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, LatentwatchCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String describe(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException ? ex.getCause() : ex;
        if (t instanceof ModelFormatException || t instanceof IllegalArgumentException) {
            return t.getMessage();
        }
        if (t instanceof java.io.FileNotFoundException) {
            return t.getMessage();
        }
        if (t instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + t.getMessage();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Prints to the command's standard output. */
    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }
}
