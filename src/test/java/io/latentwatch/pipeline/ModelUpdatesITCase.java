package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.registry.ModelUpdateSignature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the scorers make of the {@code model-updates} topic, which more than the job may write to: poison records and
 * updates naming models outside the registry are refused, answered with a rejection and counted, and never fail
 * the job (restarts are off here, so one failure would end it); with a signing key only signed updates serve.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ModelUpdatesITCase {

    static final JobMetrics METRICS = new JobMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = METRICS.miniCluster();

    private static EmbeddedKafka kafka;
    private static final SyntheticCamera CAMERA = TestModels.camera().build();

    @TempDir Path tmp;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.builder().partitions(1).start();
        TestModels.detector();
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void poisonRecordsAndForeignModelsAreRefusedAnsweredAndNeverStopTheScoring(TestInfo info) throws Exception {
        Path registry = tmp.resolve("registry");
        ModelRegistry r = ModelRegistry.builder().setRoot(registry).build();
        r.adopt(TestModels.detector());
        TestModels.copyAs(r.path(1), r.path(2), 2, UnaryOperator.identity());
        // a valid model, version 77, outside the registry: its model.json agrees with its weights
        Path outside = TestModels.copyAs(TestModels.detector(), tmp.resolve("outside"), 77, UnaryOperator.identity());
        String sha1 = ModelDirectory.readMetadata(r.path(1)).sha256();
        String sha77 = ModelDirectory.readMetadata(outside).sha256();

        String p = prefix(info);
        JobClient client = start(job(p, registry));
        try {
            Frames frames = new Frames(p + "frames");
            // the fine-tuner announces the registry's newest version, 2, and the scorers follow
            frames.sendUntil(p + "latents", all -> all.stream().anyMatch(f -> f.get("model_version").getAsLong() == 2), "frames scored by version 2");

            Map<String, String> poison = new LinkedHashMap<>(); // record → a part of the reason its rejection must give
            poison.put(update(3, registry + "/v000003\u0000x", sha1), "is not a file system path");
            poison.put("definitely not JSON {", "not a JSON object");
            poison.put("{\"version\": 5}", "lacks");
            poison.put(update(77, outside.toString(), sha77), "is not version 77 of the registry");
            poison.put(update(77, registry + "/../outside", sha77), "is not version 77 of the registry");
            poison.put(update(1, r.path(1).toString(), sha1), "older than the one served");
            poison.put(update(9, r.path(9).toString(), sha1), "has no version 9");
            poison.put(update(4, r.path(4).toString(), "not-a-sha"), "is not 64 hex digits");
            List<Records.Sent> records = poison.keySet().stream()
                    .map(v -> new Records.Sent("attacker", v.getBytes(StandardCharsets.UTF_8), Map.of())).collect(Collectors.toList());
            Records.send(kafka.clientProperties(), p + "updates", records);

            // refusals found while loading are answered once the load is done and the next batch comes by, by each
            // scorer subtask that found them; the others once
            for (String expected : poison.values()) {
                waitFor(p + "updates", 1, "a rejection saying '" + expected + "'", frames, u -> !u.get("accepted").getAsBoolean()
                        && u.get("reason").getAsString().startsWith("scorers refused") && u.get("reason").getAsString().contains(expected));
            }

            int before = Records.readCommitted(kafka.clientProperties(), p + "latents").size();
            frames.send(10);
            List<JsonObject> after = waitForCount(p + "latents", before + 10);
            for (JsonObject f : after.subList(before, after.size())) {
                assertEquals(2, f.get("model_version").getAsLong(), "only the registry's version serves: " + f);
            }
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get(), "no record stopped the job");
            JobID id = client.getJobID();
            assertTrue(METRICS.count(id, "modelRefusals") >= poison.size(), "modelRefusals: " + METRICS.count(id, "modelRefusals"));
            Map<String, Long> counts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), p + "latents"));
            assertEquals(frames.sent.size(), counts.size(), "every frame scored");
            counts.forEach((f, n) -> assertEquals(1L, n, "latents records of " + f));
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void withASigningKeyOnlyUpdatesSignedWithItServe(TestInfo info) throws Exception {
        Path key = Files.writeString(tmp.resolve("model-updates.key"), "a secret of the job\n");
        Path other = Files.writeString(tmp.resolve("other.key"), "someone else's secret\n");
        Path registry = tmp.resolve("registry");
        ModelRegistry r = ModelRegistry.builder().setRoot(registry).build();
        r.adopt(TestModels.detector());
        TestModels.copyAs(r.path(1), r.path(2), 2, UnaryOperator.identity());
        r.rollback(1); // version 2 exists but is not served: only an update can bring it in
        ModelUpdate v2 = new ModelUpdate(2L, 1L, r.path(2).toString(), ModelDirectory.readMetadata(r.path(2)).sha256(), true,
                "a version announced from outside the job", null, null, Instant.now());

        String p = prefix(info);
        JobClient client = start(job(p, registry).set(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE, key.toString()));
        try {
            Frames frames = new Frames(p + "frames");
            frames.sendUntil(p + "latents", all -> !all.isEmpty(), "frames scored");
            sendUpdate(p, v2.toJson());
            sendUpdate(p, ModelUpdateSignature.fromKeyFile(other).sign(v2));
            List<JsonObject> answers = waitFor(p + "updates", 2, "rejections of the unsigned and the mis-signed update", null,
                    u -> u.get("reason").getAsString().startsWith("scorers refused"));
            assertTrue(answers.get(0).get("reason").getAsString().contains("unsigned"), answers.get(0).toString());
            assertTrue(answers.get(1).get("reason").getAsString().contains("signature does not match"), answers.get(1).toString());
            ModelUpdateSignature signature = ModelUpdateSignature.fromKeyFile(key);
            for (JsonObject a : answers) {
                signature.verify(a.toString(), ModelUpdate.fromJson(a.toString())); // the job signs what it writes
            }
            int before = Records.readCommitted(kafka.clientProperties(), p + "latents").size();
            frames.send(6);
            waitForCount(p + "latents", before + 6).subList(before, before + 6)
                    .forEach(f -> assertEquals(1, f.get("model_version").getAsLong(), "unsigned updates never serve: " + f));

            sendUpdate(p, signature.sign(v2));
            frames.sendUntil(p + "latents", all -> all.stream().anyMatch(f -> f.get("model_version").getAsLong() == 2),
                    "frames scored by the signed update's version");
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get());
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    // ---- the job ----------------------------------------------------------------------------------------------------

    private static String prefix(TestInfo info) {
        String p = info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-" + Long.toHexString(System.nanoTime()) + "-";
        kafka.createTopics(p + "frames", p + "latents", p + "alerts", p + "dlq", p + "updates");
        return p;
    }

    /** Fine-tuning on, but no round within the test (the refusals are the scorers', not the gate's). */
    private static ScoringJob.Builder job(String p, Path registry) {
        return TestJobs.onTopics(kafka, p)
                .set(ScoringJobOptions.SCORING_PARALLELISM, 2)
                .set(ScoringJobOptions.MAX_BATCH_SIZE, 8)
                .set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(5))
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(ScoringJobOptions.TUNING_ENABLED, true)
                .set(ScoringJobOptions.TUNING_REGISTRY, registry.toString())
                .set(ScoringJobOptions.TUNING_FRAMES, 1_000_000)
                .set(ScoringJobOptions.TUNING_INTERVAL, Duration.ofHours(1))
                .set(ScoringJobOptions.TUNING_DEVICE, "cpu");
    }

    /** Starts the job with restarts off: a failure ends it, so "still running" means "never failed". */
    private static JobClient start(ScoringJob.Builder job) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        return job.build().start(env);
    }

    private static String update(long version, String path, String sha256) {
        return new ModelUpdate(version, 2L, path, sha256, true, "sent by someone who can write to the topic", null, null, Instant.now()).toJson();
    }

    private static void sendUpdate(String p, String json) throws Exception {
        Records.send(kafka.clientProperties(), p + "updates", List.of(new Records.Sent("latentwatch", json.getBytes(StandardCharsets.UTF_8), Map.of())));
    }

    /** Normal camera frames, ids f-0, f-1, ..., from two sources. */
    private static final class Frames {
        final String topic;
        final List<String> sent = new ArrayList<>();

        Frames(String topic) {
            this.topic = topic;
        }

        void send(int count) throws Exception {
            List<Records.Sent> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String id = "f-" + sent.size();
                out.add(Records.Sent.frame("cam-" + (sent.size() % 2), id, CAMERA.frame(sent.size(), AnomalyKind.NONE).encodePng()));
                sent.add(id);
            }
            Records.send(kafka.clientProperties(), topic, out);
        }

        void sendUntil(String latents, java.util.function.Predicate<List<JsonObject>> test, String what) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!test.test(json(latents))) {
                assertTrue(System.nanoTime() < deadline, "no " + what + " within 90 s");
                send(4);
                Thread.sleep(400);
            }
        }
    }

    private static List<JsonObject> json(String topic) {
        return Records.readCommitted(kafka.clientProperties(), topic).stream().map(Records::json).collect(Collectors.toList());
    }

    /**
     * The first {@code count} model updates of a topic that pass {@code test} (other records skipped), waiting up to
     * 90 s for them and sending a few frames meanwhile if {@code nudge} is given.
     */
    private static List<JsonObject> waitFor(String topic, int count, String what, Frames nudge, java.util.function.Predicate<JsonObject> test)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            List<JsonObject> found = new ArrayList<>();
            for (var rec : Records.readCommitted(kafka.clientProperties(), topic)) {
                try {
                    JsonObject j = Records.json(rec);
                    if (j.has("accepted") && j.has("reason") && test.test(j)) {
                        found.add(j);
                    }
                } catch (RuntimeException notAnUpdate) {
                    // the poison itself
                }
            }
            if (found.size() >= count) {
                return found.subList(0, count);
            }
            assertTrue(System.nanoTime() < deadline, found.size() + " of " + count + " " + what + " in " + topic + " within 90 s: " + found);
            if (nudge != null) {
                nudge.send(2);
            }
            Thread.sleep(300);
        }
    }

    private static List<JsonObject> waitForCount(String topic, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<JsonObject> all = json(topic);
            if (all.size() >= count) {
                return all;
            }
            assertTrue(System.nanoTime() < deadline, all.size() + " of " + count + " records in " + topic + " after 60 s");
            Thread.sleep(300);
        }
    }
}
