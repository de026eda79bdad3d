package io.latentwatch.cli;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the libraries' log lines go when a command runs from {@code main}: a file, so that the terminal shows the
 * command's own lines only. Kafka's and Flink's loggers (slf4j-simple, which writes to {@code System.err} as it is at
 * each line) and whatever else writes to {@code System.err} go there; the file is made at the first line, and its
 * path is printed once on the terminal then. {@code --verbose} leaves {@code System.err} alone.
 */
final class LogFile extends OutputStream {

    static final String VERBOSE = "--verbose";

    private final Path path;
    private final PrintStream terminal;
    private OutputStream file;

    private LogFile(Path path, PrintStream terminal) {
        this.path = path;
        this.terminal = terminal;
    }

    /**
     * Sends {@code System.err} to a log file of this command unless the arguments ask for {@code --verbose}.
     *
     * @return the terminal's standard error, for the command's own messages
     */
    static PrintStream install(List<String> args, Path dir) {
        PrintStream terminal = System.err;
        if (args.contains(VERBOSE)) {
            return terminal;
        }
        String command = args.stream().filter(a -> !a.startsWith("-")).findFirst().orElse("latentwatch");
        Path path = dir.resolve("latentwatch-" + command.replaceAll("[^A-Za-z0-9-]", "_") + "-" + ProcessHandle.current().pid() + ".log");
        System.setErr(new PrintStream(new LogFile(path, terminal), true, StandardCharsets.UTF_8));
        return terminal;
    }

    private OutputStream file() throws IOException {
        if (file == null) {
            Files.createDirectories(path.getParent());
            file = new FileOutputStream(path.toFile(), true);
            terminal.println("latentwatch: the log lines of Kafka, Flink and the JVM go to " + path + " (" + VERBOSE + " shows them here)");
            terminal.flush();
        }
        return file;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        file().write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        file().write(b, off, len);
    }

    @Override
    public synchronized void flush() throws IOException {
        if (file != null) {
            file.flush();
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (file != null) {
                file.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
