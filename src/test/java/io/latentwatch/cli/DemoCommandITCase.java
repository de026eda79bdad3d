package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.ThreadLeaks;
import io.latentwatch.frames.synthetic.AnomalyKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * latentwatch demo as a newcomer runs it, shortened: it trains its model with the real trainer (fewer epochs), runs
 * broker, job with fine-tuning, console and the drifting camera with all seven kinds, and summarises what it saw.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class DemoCommandITCase {

    @Test
    void theDemoTrainsFineTunesAndSummarisesWhatItSawPerKind() throws Exception {
        Set<Thread> before = ThreadLeaks.snapshot();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        // checkpoints every 2 s: an alert that waited for one would be ~1 s late at the median
        int code = cl.execute("demo", "--train-epochs", "4", "--duration", "45s", "--rate", "25", "--anomaly-rate", "0.1",
                "--fine-tune-frames", "150", "--web-ui-port", "0", "--console-port", "0", "--checkpoint-interval", "2s");
        String text = out.toString();
        assertEquals(0, code, err + "\n" + text);
        assertTrue(text.contains("model trained: threshold "), text);

        long sent = number(text, "frames: (\\d+) sent");
        long scored = number(text, "frames: \\d+ sent, (\\d+) scored");
        assertTrue(sent >= 900, "frames sent: " + sent);
        assertEquals(sent, scored, "every frame sent was scored: " + text);

        Map<String, long[]> kinds = kindTable(text);
        assertEquals(scored, kinds.values().stream().mapToLong(k -> k[0]).sum(), "the kinds' frames add up to the frames scored: " + text);
        for (AnomalyKind k : AnomalyKind.INJECTED) {
            assertTrue(kinds.containsKey(k.label()) && kinds.get(k.label())[0] >= 3, "every kind injected: " + k.label() + "\n" + text);
        }
        // 4 epochs of training are held to the gross defects only (the default 12 finds every kind: docs/streaming.md)
        for (String obvious : new String[] {"blank", "overexposed"}) {
            long[] k = kinds.get(obvious);
            assertTrue(k[1] >= 0.9 * k[0], obvious + " frames alerted: " + k[1] + " of " + k[0] + "\n" + text);
        }
        long[] normal = kinds.get("normal");
        assertTrue(normal[1] <= 0.05 * normal[0], "false alarms: " + normal[1] + " of " + normal[0] + " normal frames\n" + text);
        long alerts = number(text, "alerts: (\\d+), ");
        assertEquals(alerts, kinds.values().stream().mapToLong(k -> k[1]).sum(), "every alert counted under one kind: " + text);
        assertTrue(alerts - normal[1] >= 0.8 * alerts, "alerts are mostly true ones: " + text);

        // fine-tuning happened, and the scorers switched to an accepted version while the demo ran
        assertTrue(number(text, "models: (\\d+) fine-tuned versions accepted") >= 1, text);
        assertTrue(Pattern.compile("(?m)^MODEL v(\\d+) accepted \\(fine-tuned from v\\d+\\): held-out loss [\\d.]+ -> [\\d.]+$").matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^MODEL v\\d+ scores from frame cam-\\d-\\d+ on").matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^model v1 scored \\d+ frames over \\d+ s: [\\d.]+ false alarms/min").matcher(text).find(), text);
        assertTrue(Pattern.compile("(?m)^model v[2-9]\\d* scored \\d+ frames").matcher(text).find(), "a fine-tuned version scored frames: " + text);

        // alerts are at-least-once: they do not wait for the 2 s checkpoints
        Matcher latency = Pattern.compile("latency capture -> alert: p50 (\\d+) ms, p99 (\\d+) ms").matcher(text);
        assertTrue(latency.find(), text);
        long p50 = Long.parseLong(latency.group(1));
        assertTrue(p50 <= Long.parseLong(latency.group(2)) && p50 < 1000, "p50 " + p50 + " ms: " + text);
        assertTrue(Pattern.compile("(?m)^ALERT cam-\\d .* region \\d+x\\d+ at \\(\\d+,\\d+\\)").matcher(text).find(), "alerts with regions: " + text);
        Matcher regions = Pattern.compile("regions: (\\d+) of (\\d+) alerts of local defects .* on the injected defect, (\\d+) elsewhere").matcher(text);
        assertTrue(regions.find(), text);
        assertTrue(Long.parseLong(regions.group(1)) + Long.parseLong(regions.group(3)) <= Long.parseLong(regions.group(2)), text);
        assertTrue(Pattern.compile("(?m)^alert console: http://localhost:\\d+/$").matcher(text).find(), text);
        assertTrue(text.trim().endsWith("demo stopped"), text);
        ThreadLeaks.assertNoNewThreads(before, Duration.ofSeconds(20));
    }

    /** The summary's kind table: label -> {frames, alerted}. */
    private static Map<String, long[]> kindTable(String text) {
        Map<String, long[]> kinds = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^([a-z-]+)\\s+(\\d+)\\s+(\\d+)\\s+(?:[\\d.]+|n/a|\\(.*\\))$").matcher(text);
        while (m.find()) {
            kinds.put(m.group(1), new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
        }
        assertTrue(kinds.containsKey("normal"), "no kind table in\n" + text);
        return kinds;
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no '" + regex + "' in\n" + text);
        return Long.parseLong(m.group(1));
    }
}
