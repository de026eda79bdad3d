package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** What a command started from main shows on the terminal: its own lines, and once the path of the log file. */
class LogFileTest {

    @Test
    void libraryLinesGoToTheFileWhosePathIsPrintedOnce(@TempDir Path dir) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream terminalBytes = new ByteArrayOutputStream();
        PrintStream terminal = new PrintStream(terminalBytes, true, StandardCharsets.UTF_8);
        System.setErr(terminal);
        try {
            PrintStream commandErr = LogFile.install(List.of("broker", "--port", "0"), dir);
            assertSame(terminal, commandErr, "the command's own messages still reach the terminal");
            assertEquals("", terminalBytes.toString(StandardCharsets.UTF_8), "nothing printed before a library logs");
            // slf4j-simple writes to System.err as it is at each line, as Kafka's and Flink's loggers do
            LoggerFactory.getLogger("org.apache.kafka.controller.QuorumController").warn("Performing controller activation");
            System.err.println("a JVM warning");
            LoggerFactory.getLogger("org.apache.flink.runtime.minicluster.MiniCluster").warn("second line");
            System.err.flush();

            Path file = dir.resolve("latentwatch-broker-" + ProcessHandle.current().pid() + ".log");
            String logged = Files.readString(file);
            assertTrue(logged.contains("WARN org.apache.kafka.controller.QuorumController - Performing controller activation"), logged);
            assertTrue(logged.contains("a JVM warning") && logged.contains("second line"), logged);
            String shown = terminalBytes.toString(StandardCharsets.UTF_8);
            assertEquals("latentwatch: the log lines of Kafka, Flink and the JVM go to " + file + " (--verbose shows them here)"
                    + System.lineSeparator(), shown);
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void verboseLeavesTheLogLinesOnTheTerminal(@TempDir Path dir) throws Exception {
        PrintStream before = System.err;
        assertSame(before, LogFile.install(List.of("demo", "--verbose"), dir));
        assertSame(before, System.err);
        try (var files = Files.list(dir)) {
            assertFalse(files.findAny().isPresent(), "no log file with --verbose");
        }
    }
}
