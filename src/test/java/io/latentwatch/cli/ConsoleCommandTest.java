package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** latentwatch console's bad arguments: one readable line each, exit code 2, before anything listens or reads. */
class ConsoleCommandTest {

    @Test
    void aBadPortGetsOneLine() {
        assertOneLineError("latentwatch console: --port must be in 0..65535 (0 = a free port), got 70000 (see --help)", "--port", "70000");
        assertOneLineError("latentwatch console: --port must be in 0..65535 (0 = a free port), got -1 (see --help)", "--port", "-1");
        assertOneLineError("latentwatch console: Invalid value for option '--port': 'abc' is not an int (see --help)", "--port", "abc");
    }

    @Test
    void aTakenPortGetsOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertOneLineError("latentwatch console: --port: cannot listen on localhost:" + port + " (Address already in use);"
                    + " choose another port, or 0 for a free one (see --help)", "--port", String.valueOf(port));
        }
    }

    @Test
    void badTopicsGetOneLine() {
        assertOneLineError("latentwatch console: --alerts-topic: topic name is invalid: 'a b' contains one or more characters other than"
                + " ASCII alphanumerics, '.', '_' and '-' (see --help)", "--alerts-topic", "a b");
        assertOneLineError("latentwatch console: --latents-topic and --frames-topic are both 'frames'; each needs its own (see --help)",
                "--latents-topic", "frames");
        assertOneLineError("latentwatch console: Invalid value for option '--lookback': 'soon' is not a duration (e.g. 20ms, 2s, 1min) (see --help)",
                "--lookback", "soon");
    }

    private static void assertOneLineError(String expected, String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "console";
        full[1] = "--bootstrap-servers";
        full[2] = "localhost:1";
        System.arraycopy(args, 0, full, 3, args.length);
        CliTest.Run r = CliTest.run(full);
        assertEquals(2, r.code, r.err);
        assertEquals(expected + System.lineSeparator(), r.err);
        assertEquals("", r.out);
    }
}
