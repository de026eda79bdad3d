package io.latentwatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** latentwatch benchmark SUBCOMMAND (registered by {@link LatentwatchCommand#commandLine()}). */
@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        description = "Prints measured figures; each compares against a baseline measured in the same run.")
final class BenchmarkCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (model, precision, quality, pipeline or faults)");
    }
}
