package io.latentwatch.cli;

import io.latentwatch.model.ModelFormatException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code latentwatch} command: one subcommand per task of DESIGN.md's CLI table. */
@Command(
        name = "latentwatch",
        mixinStandardHelpOptions = true,
        version = "latentwatch 0.1.0",
        description = "Real-time image anomaly scoring on Apache Flink with a DIP-VAE run through DJL.",
        subcommands = {
            DemoCommand.class,
            TrainCommand.class,
            EvaluateCommand.class,
            ImportPytorchCommand.class,
            ScoreImagesCommand.class,
            RunCommand.class,
            ProduceCommand.class,
            BrokerCommand.class,
            ModelsCommand.class,
            BenchmarkCommand.class
        })
public final class LatentwatchCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
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
        CommandLine cl = new CommandLine(new LatentwatchCommand());
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
