package io.latentwatch.cli;

import io.latentwatch.model.ModelMetadata;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.registry.RegistryEntry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** latentwatch models list|pin|unpin|rollback --registry DIR [VERSION] */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "Shows and steers a model registry: which versions exist, which one the scorers serve.",
        subcommands = {ModelsCommand.ListVersions.class, ModelsCommand.Pin.class, ModelsCommand.Unpin.class, ModelsCommand.Rollback.class})
final class ModelsCommand implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (list, pin, unpin, rollback)");
    }

    /** The --registry option of every subcommand. */
    static final class RegistryOption {
        @Option(names = "--registry", required = true, paramLabel = "DIR", description = "the model registry directory")
        Path dir;

        /** Opens an existing registry; a missing directory is an argument error. */
        ModelRegistry open(CommandLine.Model.CommandSpec spec) {
            if (!Files.isDirectory(dir)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no model registry at " + dir + " (not a directory)");
            }
            return ModelRegistry.builder().setRoot(dir).build();
        }
    }

    static long positive(CommandLine.Model.CommandSpec spec, long version) {
        if (version < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "VERSION must be a positive integer, got " + version);
        }
        return version;
    }

    static void printUpdate(CommandLine.Model.CommandSpec spec, ModelUpdate update) {
        PrintWriter out = LatentwatchCommand.out(spec);
        out.println(update.reason());
        out.println(update.toJson());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the versions: parent, creation time, threshold, sha256, status.")
    static final class ListVersions implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin RegistryOption registry;

        @Override
        public Integer call() throws Exception {
            java.util.List<RegistryEntry> entries = registry.open(spec).list();
            PrintWriter out = LatentwatchCommand.out(spec);
            if (entries.isEmpty()) {
                out.println("registry " + registry.dir + " holds no versions");
                return 0;
            }
            out.printf(Locale.ROOT, "%-8s %-7s %-20s %-12s %-12s %s%n", "VERSION", "PARENT", "CREATED", "THRESHOLD", "SHA256", "STATUS");
            for (RegistryEntry e : entries) {
                ModelMetadata m = e.metadata();
                String parent = m == null || m.parentVersion() == null ? "-" : String.valueOf(m.parentVersion());
                String created = m == null ? "-" : m.createdAt().truncatedTo(ChronoUnit.SECONDS).toString();
                String threshold = m == null || Double.isNaN(m.threshold()) ? "-" : String.format(Locale.ROOT, "%.6g", m.threshold());
                String sha = m == null || m.sha256() == null ? "-" : m.sha256().substring(0, Math.min(12, m.sha256().length()));
                String status = e.status() + (e.valid() ? "" : ": " + e.problem());
                out.printf(Locale.ROOT, "%-8d %-7s %-20s %-12s %-12s %s%n", e.version(), parent, created, threshold, sha, status);
            }
            return 0;
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true,
            description = "Serves VERSION until unpinned, whatever is newer; fine-tuned candidates are refused meanwhile.")
    static final class Pin implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin RegistryOption registry;

        @Parameters(index = "0", paramLabel = "VERSION", description = "the version to serve")
        long version;

        @Override
        public Integer call() throws Exception {
            printUpdate(spec, registry.open(spec).pin(positive(spec, version)));
            return 0;
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Removes the pin: the newest version is served again.")
    static final class Unpin implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin RegistryOption registry;

        @Override
        public Integer call() throws Exception {
            try {
                printUpdate(spec, registry.open(spec).unpin());
                return 0;
            } catch (IllegalStateException e) { // nothing pinned: refused, not an argument error
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Serves VERSION as the newest: the versions above it are withdrawn, and fine-tuning continues from it.")
    static final class Rollback implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin RegistryOption registry;

        @Parameters(index = "0", paramLabel = "VERSION", description = "the version to go back to")
        long version;

        @Override
        public Integer call() throws Exception {
            printUpdate(spec, registry.open(spec).rollback(positive(spec, version)));
            return 0;
        }
    }
}
