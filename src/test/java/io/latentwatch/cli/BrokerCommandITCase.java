package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.ThreadLeaks;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** latentwatch broker, run in-process: it prints its address, the topics exist, an interrupt stops it cleanly. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BrokerCommandITCase {

    private static final Pattern BOOTSTRAP = Pattern.compile("^bootstrap\\.servers=(localhost:(\\d+))$", Pattern.MULTILINE);

    @Test
    void startsWithTheTopicsAndStopsOnInterrupt() throws Exception {
        Set<Thread> before = ThreadLeaks.snapshot();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        AtomicInteger exit = new AtomicInteger(-1);
        Thread command = new Thread(
                () -> exit.set(cl.execute("broker", "--port", "0", "--partitions", "2", "--topics", "frames,alerts,frames-dlq")),
                "broker-command");
        command.start();

        String bootstrap = awaitBootstrap(out, command, Duration.ofSeconds(60));
        assertTrue(out.toString().contains("topics: frames, alerts, frames-dlq (2 partitions each)"), out.toString());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<String, TopicDescription> topics =
                    admin.describeTopics(List.of("frames", "alerts", "frames-dlq")).allTopicNames().get(20, TimeUnit.SECONDS);
            assertEquals(Set.of("frames", "alerts", "frames-dlq"), topics.keySet());
            topics.values().forEach(t -> assertEquals(2, t.partitions().size(), t.name()));
        }

        command.interrupt();
        command.join(TimeUnit.SECONDS.toMillis(40));
        assertFalse(command.isAlive(), "broker command still running 40 s after the interrupt");
        assertEquals(0, exit.get(), err.toString());
        assertTrue(out.toString().endsWith("broker stopped" + System.lineSeparator()), out.toString());
        ThreadLeaks.assertNoNewThreads(before, Duration.ofSeconds(10));
    }

    @Test
    void badArgumentsGetOneLine() {
        assertOneLineError("latentwatch broker: --port must be in 0..65535 (0 = a free port), got 70000 (see --help)", "--port", "70000");
        assertOneLineError("latentwatch broker: Invalid value for option '--port': 'abc' is not an int (see --help)", "--port", "abc");
        assertOneLineError("latentwatch broker: --partitions must be at least 1, got 0 (see --help)", "--partitions", "0");
        assertOneLineError("latentwatch broker: --topics: topic name is invalid: 'a b' contains one or more characters other than"
                + " ASCII alphanumerics, '.', '_' and '-' (see --help)", "--topics", "frames,a b");
    }

    @Test
    void aTakenPortGetsOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("localhost"))) {
            int port = taken.getLocalPort();
            assertOneLineError("latentwatch broker: --port: cannot listen on localhost:" + port + " (Address already in use);"
                    + " choose another port, or 0 for a free one (see --help)", "--port", String.valueOf(port));
        }
    }

    private static void assertOneLineError(String expected, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] full = new String[args.length + 1];
        full[0] = "broker";
        System.arraycopy(args, 0, full, 1, args.length);
        assertEquals(2, cl.execute(full));
        assertEquals(expected + System.lineSeparator(), err.toString());
        assertEquals("", out.toString());
    }

    private static String awaitBootstrap(StringWriter out, Thread command, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = BOOTSTRAP.matcher(out.toString());
            if (m.find()) {
                assertTrue(Integer.parseInt(m.group(2)) > 0);
                return m.group(1);
            }
            assertTrue(command.isAlive(), () -> "broker command ended early: " + out);
            Thread.sleep(50);
        }
        throw new AssertionError("no bootstrap.servers line within " + timeout.toSeconds() + " s: " + out);
    }
}
