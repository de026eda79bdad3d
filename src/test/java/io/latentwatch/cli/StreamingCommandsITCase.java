package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** latentwatch produce and run against a real broker, as a user runs them. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StreamingCommandsITCase {

    @TempDir Path tmp;

    @Test
    void produceSendsLabelledFramesAndRunScoresThemUntilStopped() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            Path labels = tmp.resolve("labels.jsonl");
            Result produced = execute("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--count", "30", "--rate", "0",
                    "--image-size", "32", "--channels", "1", "--seed", String.valueOf(TestModels.SEED), "--anomaly-rate", "0.2",
                    "--labels", labels.toString());
            assertEquals(0, produced.code, produced.err);
            assertTrue(produced.out.contains("sent 30 frames ("), produced.out);
            List<String> lines = Files.readAllLines(labels);
            assertEquals(30, lines.size());
            JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
            assertEquals("cam-0-0", first.get("frame_id").getAsString());
            assertTrue(first.has("label") && first.has("anomaly") && first.has("captured_at"), first.toString());

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = LatentwatchCommand.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            AtomicInteger exit = new AtomicInteger(-1);
            Thread run = new Thread(() -> exit.set(cl.execute("run", "--bootstrap-servers", kafka.bootstrapServers(), "--model",
                    TestModels.detector().toString(), "--from-beginning", "--web-ui-port", "0", "--checkpoint-interval", "500ms",
                    "--transactional-id-prefix", "run-itcase", "-D", "latentwatch.scoring.device=cpu")), "run-command");
            run.start();
            Set<String> scored = readLatents(kafka, 30, Duration.ofSeconds(90));
            assertEquals(30, scored.size(), out + "\n" + err);
            run.interrupt();
            run.join(TimeUnit.SECONDS.toMillis(40));
            assertFalse(run.isAlive(), "run still going 40 s after the interrupt");
            assertEquals(0, exit.get(), err.toString());
            assertTrue(out.toString().contains("latentwatch.scoring.max-batch-size=32"), out.toString());
            assertTrue(out.toString().contains("kafka bootstrap.servers=" + kafka.bootstrapServers()), out.toString());
        }
    }

    @Test
    void runRefusesMissingTopicsInOneLine() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
            kafka.createTopics("frames", "latents");
            Result r = execute("run", "--bootstrap-servers", kafka.bootstrapServers(), "--model", TestModels.detector().toString());
            assertEquals(1, r.code);
            assertEquals("latentwatch run: IllegalStateException: topics alerts, frames-dlq do not exist on " + kafka.bootstrapServers()
                    + " (create them, e.g. with kafka-topics.sh or latentwatch broker)" + System.lineSeparator(), r.err);
        }
    }

    private record Result(int code, String out, String err) {}

    private static Result execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = LatentwatchCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private static Set<String> readLatents(EmbeddedKafka kafka, int expected, Duration timeout) {
        Map<String, Object> p = new HashMap<>(kafka.clientProperties());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Set<String> ids = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>(List.of(new TopicPartition("latents", 0)));
            c.assign(tps);
            c.seekToBeginning(tps);
            long end = System.nanoTime() + timeout.toNanos();
            while (ids.size() < expected && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ids.add(JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject().get("frame_id").getAsString());
                }
            }
        }
        return ids;
    }
}
