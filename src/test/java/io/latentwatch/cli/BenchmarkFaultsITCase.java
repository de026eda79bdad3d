package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code latentwatch benchmark faults --short}, as CI runs it: the fault script against a real broker and a local
 * Flink cluster, and the targets on its table (the seconds are printed, not asserted: they are timings).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BenchmarkFaultsITCase {

    @TempDir Path tmp;

    @Test
    void theFaultScriptLosesAndDoublesNothingAndOnlyTheInjectedFailuresRestartTheJob() throws Exception {
        Path json = tmp.resolve("faults.jsonl");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("benchmark", "faults", "--short", "--json", json.toString());
        System.out.println(out);
        assertEquals(0, code, err.toString());

        List<JsonObject> rows = Files.readAllLines(json).stream().map(l -> JsonParser.parseString(l).getAsJsonObject()).collect(Collectors.toList());
        JsonObject summary = rows.stream().filter(r -> r.get("figure").getAsString().equals("faults-summary")).findFirst().orElseThrow();
        assertEquals(0, summary.get("lost").getAsLong(), summary.toString());
        assertEquals(0, summary.get("duplicated").getAsLong(), summary.toString());
        assertTrue(summary.get("frames_in").getAsLong() > 200, summary.toString());
        assertEquals(summary.get("frames_in").getAsLong(), summary.get("latents_out").getAsLong());
        assertEquals(4, summary.get("dead_lettered").getAsLong(), "the big frame, two pixel bombs and a GIF: " + summary);
        assertEquals(6, summary.get("updates_refused").getAsLong(), "each poison record answered: " + summary);
        assertTrue(summary.get("diverged_rounds").getAsLong() >= 1, "the diverging fine-tune was refused: " + summary);
        assertEquals("RUNNING", summary.get("job_status").getAsString());
        assertEquals(1, summary.get("model_version_at_end").getAsLong(), "no poison and no diverged round served");

        Map<String, JsonObject> faults = rows.stream().filter(r -> r.get("figure").getAsString().equals("fault"))
                .collect(Collectors.toMap(r -> r.get("fault").getAsString(), r -> r));
        assertEquals(7, faults.size(), faults.keySet().toString());
        faults.forEach((name, row) -> {
            boolean injected = name.equals("task_failure") || name.equals("TaskManager_kill");
            assertEquals(injected ? 1 : 0, row.get("restarts").getAsLong(), "restarts after " + name + ": " + row);
            assertTrue(row.get("seconds_until_scoring").getAsDouble() >= 0, "frames captured after " + name + " were scored: " + row);
        });
        assertEquals(2, summary.get("restarts").getAsLong(), "no restart but the injected ones: " + summary);
    }
}
