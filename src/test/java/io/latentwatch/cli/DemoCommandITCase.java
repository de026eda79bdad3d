package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** latentwatch demo end to end, short: broker, local Flink, camera, alerts, and a summary of what it saw. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DemoCommandITCase {

    @Test
    void theDemoRunsEndToEndAndSummarisesWhatItSaw() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("demo", "--model", TestModels.detector().toString(), "--seed", String.valueOf(TestModels.SEED),
                "--duration", "12s", "--rate", "20", "--anomaly-rate", "0.15", "--anomaly-kinds", "noise-burst,blank,overexposed",
                "--web-ui-port", "0", "--checkpoint-interval", "500ms");
        String text = out.toString();
        assertEquals(0, code, err + "\n" + text);
        long sent = number(text, "frames sent: (\\d+)");
        long scored = number(text, "frames scored: (\\d+)");
        long anomalies = number(text, "injected anomalies: \\d+ sent, (\\d+) scored");
        long alerts = number(text, "alerts: (\\d+), ");
        long trueAlerts = number(text, "alerts: \\d+, (\\d+) true");
        assertTrue(sent >= 150 && sent <= 260, "frames sent: " + sent);
        assertEquals(sent, scored, "every frame sent was scored: " + text);
        assertTrue(anomalies >= 10, text);
        assertTrue(trueAlerts >= 0.9 * anomalies, text);
        assertTrue(alerts - trueAlerts <= Math.max(2, 0.04 * (scored - anomalies)), text);
        assertTrue(text.contains("alert precision: ") && text.contains("alert recall: "), text);
        assertTrue(Pattern.compile("latency capture -> alert: p50 \\d+ ms, p99 \\d+ ms").matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^ALERT cam-\\d").matcher(text).find(), "alerts printed as they come: " + text);
        assertTrue(text.trim().endsWith("demo stopped"), text);
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no '" + regex + "' in\n" + text);
        return Long.parseLong(m.group(1));
    }
}
