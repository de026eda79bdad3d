package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.registry.ModelRegistry;
import io.latentwatch.scoring.ScoredFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine-tuning loop of the scoring job on a MiniCluster against a real broker: sampled normal frames → fine-tuner
 * → gate → registry → model-updates → the scorers, which switch versions between batches without a restart; refused
 * models (diverged, regressed, corrupted after writing) never serve; a restarted job serves the newest accepted
 * version.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FineTuningITCase {

    static final JobMetrics METRICS = new JobMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = METRICS.miniCluster();

    private static EmbeddedKafka kafka;

    @TempDir Path tmp;

    /** Frames of the training scene whose lighting drifts slowly; one source, so its frames keep their order. */
    private static final SyntheticCamera CAMERA = TestModels.camera().optLightingDrift(0.02).build();

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
    void acceptedVersionsReachTheScorersWithoutARestartAndACorruptedOneNeverServes(TestInfo info) throws Exception {
        Topics t = new Topics(info);
        JobClient client = start(job(t).build(), new Configuration());
        try {
            Sender frames = new Sender(t.frames);
            JsonObject v2 = firstRound(frames, t);
            assertTrue(accepted(v2), "the first round's candidate accepted: " + v2);
            long version = v2.get("version").getAsLong();
            Path dir = Paths.get(v2.get("path").getAsString());
            assertEquals(ModelRegistry.builder().setRoot(registry()).build().path(version), dir, "a directory of the registry");
            assertEquals(ModelDirectory.sha256(Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS))), v2.get("sha256").getAsString());
            assertTrue(v2.get("reason").getAsString().contains("eval_mse"), v2.toString());
            assertTrue(v2.get("val_loss_before").getAsDouble() > 0 && v2.get("val_loss_after").getAsDouble() > 0, v2.toString());

            frames.sendUntil(t.latents, any(f -> f.get("model_version").getAsLong() >= version), "frames scored by the new version");
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get(), "no restart, no failure");
            assertThresholdsFollowTheServedModel(t.latents);

            // a registered version corrupted on disk: the fine-tuner says so and the scorers go back to a valid one
            JsonObject newest = lastAccepted(t.updates);
            long bad = newest.get("version").getAsLong();
            corrupt(Paths.get(newest.get("path").getAsString()).resolve(ModelDirectory.WEIGHTS));
            frames.send(5);
            JsonObject refusal = waitFor(t.updates, "a rejection of the corrupted version",
                    u -> !accepted(u) && parent(u) == bad);
            assertTrue(refusal.get("version").isJsonNull(), refusal.toString());
            assertTrue(refusal.get("reason").getAsString().contains("sha256"), refusal.toString());
            JsonObject fallback = lastAccepted(t.updates);
            long good = fallback.get("version").getAsLong();
            assertTrue(good < bad, "falls back to an older valid version: " + fallback);
            frames.sendUntil(t.latents, all -> {
                int lastBad = -1;
                for (int i = 0; i < all.size(); i++) {
                    lastBad = all.get(i).get("model_version").getAsLong() == bad ? i : lastBad;
                }
                return all.subList(lastBad + 1, all.size()).stream().anyMatch(f -> f.get("model_version").getAsLong() == good);
            }, "frames scored by version " + good + " again");

            // the stale announcement of the corrupted version reaches the scorers: they refuse it and keep serving
            Records.send(kafka.clientProperties(), t.updates, List.of(new Records.Sent("latentwatch", newest.toString().getBytes(StandardCharsets.UTF_8), Map.of())));
            Thread.sleep(1500);
            int before = Records.readCommitted(kafka.clientProperties(), t.latents).size();
            frames.send(8);
            List<JsonObject> after = waitForCount(t.latents, before + 8);
            for (JsonObject f : after.subList(before, after.size())) {
                assertEquals(good, f.get("model_version").getAsLong(), "a refused model never serves: " + f);
            }
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get());

            // the same story in the job's counters, as an operator reads them (REST API, Prometheus); the refusal
            // is counted once the off-thread load has failed and a batch comes by
            JobID id = client.getJobID();
            frames.sendUntil(t.latents, all -> METRICS.count(id, "modelRefusals") >= 1, "refusal counted by the scorer");
            assertTrue(METRICS.count(id, "fineTuneRounds") >= 1, "fineTuneRounds");
            assertTrue(METRICS.count(id, "modelsAccepted") >= 1, "modelsAccepted: the first round's version");
            assertTrue(METRICS.count(id, "modelsRejected") >= 1, "modelsRejected: the version corrupted on disk");
            assertTrue(METRICS.count(id, "modelSwaps") >= 2, "modelSwaps: to the new version and back to a valid one");
            assertEveryFrameOnce(t.latents, frames.sent);
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anOperatorsPinReachesTheScorersAndStopsTheRounds(TestInfo info) throws Exception {
        Topics t = new Topics(info);
        JobClient client = start(job(t).build(), new Configuration());
        try {
            Sender frames = new Sender(t.frames);
            JsonObject v2 = firstRound(frames, t);
            assertTrue(accepted(v2), "the first round's candidate accepted: " + v2);
            long version = v2.get("version").getAsLong();
            frames.sendUntil(t.latents, any(f -> f.get("model_version").getAsLong() == version), "frames scored by version " + version);

            // what `latentwatch models pin --registry DIR 1` does, while the job runs
            ModelRegistry registry = ModelRegistry.builder().setRoot(registry()).build();
            registry.pin(1);
            frames.send(5);
            JsonObject serve = waitFor(t.updates, "the pinned version announced", u -> accepted(u) && u.get("version").getAsLong() == 1
                    && u.get("reason").getAsString().contains("pinned"));
            assertTrue(serve.get("path").getAsString().endsWith("v000001"), serve.toString());
            frames.sendUntil(t.latents, all -> all.get(all.size() - 1).get("model_version").getAsLong() == 1, "frames scored by version 1 again");
            // 45 more normal frames than a round needs: none runs while pinned
            frames.send(45);
            waitForCount(t.latents, frames.sent.size());
            Thread.sleep(2000);
            assertEquals(List.of(1L, version), registry.versions(), "no version registered while pinned");
            assertEquals(1, lastAccepted(t.updates).get("version").getAsLong());
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDivergedFineTuneIsRejectedAndTheOldVersionKeepsServing(TestInfo info) throws Exception {
        assertRejectedAndVersion1KeepsServing(info, 1e9, 0.5, "diverged", "not finite", "must be finite");
    }

    @Test
    void aRegressedCandidateIsRejectedByTheGate(TestInfo info) throws Exception {
        // a step size 200 times the default: the model stays finite but forgets the scene; no regression is tolerated
        assertRejectedAndVersion1KeepsServing(info, 0.02, 0.0, "regressed beyond the tolerance");
    }

    private void assertRejectedAndVersion1KeepsServing(TestInfo info, double learningRate, double tolerance, String... reasonParts)
            throws Exception {
        Topics t = new Topics(info);
        JobClient client = start(job(t).set(ScoringJobOptions.TUNING_LEARNING_RATE, learningRate)
                .set(ScoringJobOptions.TUNING_GATE_TOLERANCE, tolerance)
                .set(ScoringJobOptions.TUNING_GATE_REFERENCE_TOLERANCE, tolerance)
                .build(), new Configuration());
        try {
            Sender frames = new Sender(t.frames);
            JsonObject rejected = firstRound(frames, t);
            System.out.println("decision at learning rate " + learningRate + ": " + rejected);
            assertFalse(accepted(rejected), rejected.toString());
            String reason = rejected.get("reason").getAsString();
            assertTrue(java.util.Arrays.stream(reasonParts).anyMatch(reason::contains), "reason " + reason + " names none of "
                    + java.util.Arrays.toString(reasonParts));
            assertTrue(rejected.get("version").isJsonNull() && rejected.get("path").isJsonNull(), "nothing registered: " + rejected);
            assertEquals(List.of(1L), ModelRegistry.builder().setRoot(registry()).build().versions());
            frames.send(20);
            List<JsonObject> latents = waitForCount(t.latents, 80);
            latents.forEach(f -> assertEquals(1, f.get("model_version").getAsLong(), f.toString()));
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get(), "nothing crashed");
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void afterAFailureTheScorersServeTheNewestAcceptedVersion(TestInfo info) throws Exception {
        Topics t = new Topics(info);
        String failureKey = t.frames;
        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        JobClient client = start(job(t).optAfterScoring(s -> s.map(new FailOnceOnANewVersion(failureKey)).name("fail once").uid("test-fail-once"))
                .build(), restart);
        try {
            Sender frames = new Sender(t.frames);
            JsonObject v2 = firstRound(frames, t);
            assertTrue(accepted(v2), "the first round's candidate accepted: " + v2);
            long version = v2.get("version").getAsLong();
            frames.sendUntil(t.latents, any(f -> f.get("model_version").getAsLong() >= version), "frames scored by the new version");
            int firstNew = frames.sent.size();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!FailOnceOnANewVersion.FAILED.containsKey(failureKey)) {
                assertTrue(System.nanoTime() < deadline, "the injected failure did not happen");
                frames.send(5);
                Thread.sleep(300);
            }
            frames.send(30);
            List<JsonObject> latents = waitForCount(t.latents, frames.sent.size());
            Set<String> afterSwitch = new java.util.HashSet<>(frames.sent.subList(firstNew, frames.sent.size()));
            for (JsonObject f : latents) {
                if (afterSwitch.contains(f.get("frame_id").getAsString())) {
                    assertTrue(f.get("model_version").getAsLong() >= version, "scored after the switch and the restart by an older version: " + f);
                }
            }
            assertEveryFrameOnce(t.latents, frames.sent);
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The camera's lighting drifts by 0.005 levels a frame (+15 levels over the run). Without fine-tuning the
     * false-alarm rate climbs far above the calibrated 1 %; with it, rounds every ~200 normal frames keep it under
     * twice that, while the injected anomalies are still alerted. The frames are sent 50 at a time and each round is
     * waited for, so the run does not depend on how fast this machine trains.
     */
    @Test
    void underLightingDriftFineTuningKeepsTheFalseAlarmRateNearTheCalibratedOne(TestInfo info) throws Exception {
        SyntheticCamera camera = TestModels.camera().optLightingDrift(0.005).anomalyRate(0.05)
                .optAnomalyKinds(TestModels.DETECTABLE.toArray(io.latentwatch.frames.synthetic.AnomalyKind[]::new)).build();
        int total = 3000;
        int chunk = 50;
        int reference = 100;
        int roundEvery = 200;
        double calibrated = 1 - ModelDirectory.readMetadata(TestModels.detector()).calibration().get("quantile").getAsDouble();
        Topics t = new Topics(info);
        JobClient client = start(job(t)
                .set(ScoringJobOptions.TUNING_REFERENCE_FRAMES, reference)
                .set(ScoringJobOptions.TUNING_FRAMES, roundEvery)
                .set(ScoringJobOptions.TUNING_STEPS, 30)
                .set(ScoringJobOptions.TUNING_BATCH_SIZE, 32)
                .set(ScoringJobOptions.TUNING_LEARNING_RATE, 5e-4)
                .set(ScoringJobOptions.TUNING_RESERVOIR_CAPACITY, 300)
                .set(ScoringJobOptions.TUNING_HELD_OUT_CAPACITY, 200)
                .set(ScoringJobOptions.TUNING_HELD_OUT_EVERY, 2)
                .set(ScoringJobOptions.TUNING_HORIZON, 600L)
                .set(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT, 40)
                .set(ScoringJobOptions.TUNING_GATE_TOLERANCE, 0.1)
                .set(ScoringJobOptions.TUNING_GATE_REFERENCE_TOLERANCE, 0.3)
                .build(), new Configuration());
        List<io.latentwatch.frames.synthetic.CameraFrame> truth = new ArrayList<>();
        try {
            int referenceLeft = reference;
            int sinceRound = 0;
            int rounds = 0;
            for (int sent = 0; sent < total; sent += chunk) {
                List<Records.Sent> out = new ArrayList<>();
                for (int i = sent; i < sent + chunk; i++) {
                    io.latentwatch.frames.synthetic.CameraFrame f = camera.frame(i);
                    truth.add(f);
                    out.add(Records.Sent.frame("cam-0", "f-" + i, f.encodePng()));
                }
                Records.send(kafka.clientProperties(), t.frames, out);
                List<JsonObject> latents = waitForCount(t.latents, sent + chunk);
                // the fine-tuner's own count: frames judged normal are sampled; the first ones form the reference set
                int normals = (int) latents.subList(sent, sent + chunk).stream().filter(f -> !f.get("anomaly").getAsBoolean()).count();
                int toReference = Math.min(referenceLeft, normals);
                referenceLeft -= toReference;
                sinceRound += normals - toReference;
                if (sinceRound >= roundEvery) {
                    sinceRound = 0;
                    int expected = ++rounds;
                    waitFor(t.updates, "decision " + expected, u -> decisions(t.updates) >= expected);
                }
            }
            List<JsonObject> tuned = Records.readCommitted(kafka.clientProperties(), t.latents).stream().map(Records::json).collect(Collectors.toList());
            List<JsonObject> updates = Records.readCommitted(kafka.clientProperties(), t.updates).stream().map(Records::json).collect(Collectors.toList());
            long accepted = updates.stream().filter(u -> accepted(u) && parent(u) > 0).count();

            Topics baseline = new Topics(info);
            ScoringJob plain = job(t).set(ScoringJobOptions.TUNING_ENABLED, false)
                    .set(ScoringJobOptions.LATENTS_TOPIC, baseline.latents)
                    .set(ScoringJobOptions.ALERTS_TOPIC, baseline.alerts)
                    .set(ScoringJobOptions.DLQ_TOPIC, baseline.dlq)
                    .set(ScoringJobOptions.GROUP_ID, baseline.frames + "-group")
                    .set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, baseline.frames + "-tx")
                    .optStoppingOffsets(org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer.latest())
                    .build();
            start(plain, new Configuration()).getJobExecutionResult().get(120, TimeUnit.SECONDS);
            List<JsonObject> fixed = Records.readCommitted(kafka.clientProperties(), baseline.latents).stream().map(Records::json)
                    .collect(Collectors.toList());

            double[] farFixed = falseAlarmRates(fixed, truth, 500);
            double[] farTuned = falseAlarmRates(tuned, truth, 500);
            System.out.printf("drift test: calibrated false-alarm rate %.3f; %d rounds, %d versions accepted%n", calibrated, rounds, accepted);
            System.out.println("false-alarm rate per 500 frames without fine-tuning: " + java.util.Arrays.toString(farFixed));
            System.out.println("false-alarm rate per 500 frames with fine-tuning:    " + java.util.Arrays.toString(farTuned));
            double recall = recall(tuned, truth, 1000);
            System.out.printf("recall of the injected anomalies in the last 1000 frames with fine-tuning: %.3f (without: %.3f)%n", recall,
                    recall(fixed, truth, 1000));

            assertTrue(farFixed[farFixed.length - 1] > 5 * calibrated, "without fine-tuning the rate climbs: " + java.util.Arrays.toString(farFixed));
            assertTrue(accepted >= 3, accepted + " versions accepted of " + rounds + " rounds");
            // bounded: from frame 1000 on, every window of 500 frames stays under twice the calibrated rate
            for (int w = 2; w < farTuned.length; w++) {
                assertTrue(farTuned[w] < 2 * calibrated, "window " + w + " with fine-tuning: " + java.util.Arrays.toString(farTuned));
            }
            assertTrue(recall >= 0.9, "injected anomalies alerted with fine-tuning: " + recall);
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get());
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    // ---- the fine-tuning side cannot take scoring down (issue 11, point 5) -----------------------------------------
    // These jobs run without a restart strategy: an exception out of the fine-tuner would fail the job, not hide in a
    // restart.

    /**
     * A registry.json that does not parse before the job starts, then a reference set corrupted while it runs: each is
     * a rejection on model-updates naming the file and a {@code fineTuneFailures} count, never a failed job; scoring
     * goes on (every frame scored once) and rounds resume once an operator repairs the file.
     */
    @Test
    void aCorruptRegistryFileNeverStopsScoringAndRoundsResumeOnceItIsRepaired(TestInfo info) throws Exception {
        Topics t = new Topics(info);
        Path registryJson = registry().resolve("registry.json");
        Files.createDirectories(registry());
        Files.writeString(registryJson, "{\"format\": \"latentwatch-registry/1\", \"pinned\": "); // cut short, as a failing disk leaves it
        JobClient client = start(job(t).build(), withoutRestarts());
        JobID id = client.getJobID();
        try {
            Sender frames = new Sender(t.frames);
            JsonObject unreadable = sendUntilUpdate(client, frames, t, "a rejection naming registry.json",
                    u -> !accepted(u) && reason(u).contains("registry.json"));
            assertTrue(unreadable.get("version").isJsonNull(), unreadable.toString());
            waitForCount(t.latents, frames.sent.size());
            waitForCounter(id, "fineTuneFailures", 1, "fineTuneFailures counts the unreadable registry");

            // the operator repairs it: an empty registry has no registry.json
            Files.delete(registryJson);
            JsonObject v2 = sendUntilUpdate(client, frames, t, "a round accepted after the repair", u -> accepted(u) && parent(u) == 1);
            long version = v2.get("version").getAsLong();

            // the gate's reference set corrupted while the job runs: the rounds are refused, naming the file and its sha256
            Path reference = registry().resolve(ModelRegistry.REFERENCE);
            byte[] intact = Files.readAllBytes(reference);
            long failures = countOrZero(id, "fineTuneFailures");
            corrupt(reference);
            JsonObject refused = sendUntilUpdate(client, frames, t, "a rejection naming " + ModelRegistry.REFERENCE,
                    u -> !accepted(u) && reason(u).contains(ModelRegistry.REFERENCE));
            assertTrue(reason(refused).contains("sha256"), refused.toString());
            assertEquals(version, parent(refused), "the job's version keeps serving: " + refused);
            waitForCounter(id, "fineTuneFailures", failures + 1, "fineTuneFailures counts the refused reference set");

            Files.write(reference, intact);
            sendUntilUpdate(client, frames, t, "a round accepted after the reference set was restored",
                    u -> accepted(u) && parent(u) == version);
            waitForCount(t.latents, frames.sent.size());
            assertEquals(JobStatus.RUNNING, client.getJobStatus().get(), "no failure, no restart");
            assertEveryFrameOnce(t.latents, frames.sent);
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A round of many steps is running when the job is cancelled: the fine-tuner stops it at its next step and
     * close() waits for that, so no fine-tuning thread outlives the job.
     */
    @Test
    void aCancelledJobEndsItsRunningRoundWithinABoundedTime(TestInfo info) throws Exception {
        Topics t = new Topics(info);
        Set<Thread> before = io.latentwatch.ThreadLeaks.snapshot();
        JobClient client = start(job(t).set(ScoringJobOptions.TUNING_STEPS, 100_000).build(), withoutRestarts());
        Sender frames = new Sender(t.frames);
        frames.send(60);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (countOrZero(client.getJobID(), "fineTuneRounds") < 1 || fineTunerThreads(before).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "no round started within 120 s");
            assertAlive(client, "the first round");
            Thread.sleep(200);
        }
        client.cancel().get(30, TimeUnit.SECONDS);
        long cancelled = System.nanoTime();
        deadline = cancelled + TimeUnit.SECONDS.toNanos(30);
        while (!client.getJobStatus().get().isGloballyTerminalState()) {
            assertTrue(System.nanoTime() < deadline, "job not cancelled within 30 s: " + client.getJobStatus().get());
            Thread.sleep(100);
        }
        assertEquals(JobStatus.CANCELED, client.getJobStatus().get());
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!fineTunerThreads(before).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the round still runs 15 s after the job was cancelled: " + fineTunerThreads(before));
            Thread.sleep(100);
        }
        System.out.printf("round stopped %.1f s after the cancel%n", (System.nanoTime() - cancelled) / 1e9);
    }

    private static Configuration withoutRestarts() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    /** Live fine-tuner threads that were not alive before. */
    private static List<String> fineTunerThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(th -> th.isAlive() && !before.contains(th))
                .map(Thread::getName).filter(n -> n.startsWith("latentwatch-fine-tuner")).collect(Collectors.toList());
    }

    /** A counter of the job, or 0 before its operator registered it (the reporter's listing may fail meanwhile). */
    private static long countOrZero(JobID job, String name) {
        try {
            return METRICS.count(job, name);
        } catch (AssertionError | IllegalStateException e) {
            return 0;
        }
    }

    private static void waitForCounter(JobID job, String name, long atLeast, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (countOrZero(job, name) < atLeast) {
            assertTrue(System.nanoTime() < deadline, what + ": " + name + " is " + countOrZero(job, name) + ", expected at least " + atLeast);
            Thread.sleep(200);
        }
    }

    /** Starting or running: not failed, failing, restarting or cancelled. */
    private static void assertAlive(JobClient client, String what) throws Exception {
        JobStatus status = client.getJobStatus().get();
        assertTrue(status == JobStatus.INITIALIZING || status == JobStatus.CREATED || status == JobStatus.RUNNING,
                "the job is " + status + " while waiting for " + what);
    }

    /** Sends 5 frames every half second until an update passes {@code test}; fails at once if the job stops running. */
    private static JsonObject sendUntilUpdate(JobClient client, Sender frames, Topics t, String what, Predicate<JsonObject> test)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            assertAlive(client, what);
            for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), t.updates)) {
                JsonObject j = Records.json(r);
                if (test.test(j)) {
                    return j;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no " + what + " in " + t.updates + " within 120 s");
            frames.send(5);
            Thread.sleep(500);
        }
    }

    private static String reason(JsonObject update) {
        return update.get("reason").getAsString();
    }

    /** Decisions about fine-tuned candidates so far (the initial model's adoption is not one). */
    private static long decisions(String updates) {
        return Records.readCommitted(kafka.clientProperties(), updates).stream().map(Records::json).filter(u -> parent(u) > 0).count();
    }

    /** Per window of frames (in sending order): normal frames alerted / normal frames. */
    private static double[] falseAlarmRates(List<JsonObject> latents, List<io.latentwatch.frames.synthetic.CameraFrame> truth, int window) {
        Map<String, Boolean> alerted = new HashMap<>();
        latents.forEach(f -> alerted.put(f.get("frame_id").getAsString(), f.get("anomaly").getAsBoolean()));
        double[] rates = new double[truth.size() / window];
        for (int w = 0; w < rates.length; w++) {
            int normals = 0;
            int alarms = 0;
            for (int i = w * window; i < (w + 1) * window; i++) {
                if (!truth.get(i).isAnomaly()) {
                    normals++;
                    alarms += alerted.get("f-" + i) ? 1 : 0;
                }
            }
            rates[w] = Math.round(1000.0 * alarms / normals) / 1000.0;
        }
        return rates;
    }

    /** Injected anomalies alerted / injected anomalies, over the last {@code frames} frames. */
    private static double recall(List<JsonObject> latents, List<io.latentwatch.frames.synthetic.CameraFrame> truth, int frames) {
        Map<String, Boolean> alerted = new HashMap<>();
        latents.forEach(f -> alerted.put(f.get("frame_id").getAsString(), f.get("anomaly").getAsBoolean()));
        int anomalies = 0;
        int caught = 0;
        for (int i = truth.size() - frames; i < truth.size(); i++) {
            if (truth.get(i).isAnomaly()) {
                anomalies++;
                caught += alerted.get("f-" + i) ? 1 : 0;
            }
        }
        return (double) caught / anomalies;
    }

    // ---- the job and its topics ----------------------------------------------------------------------------------

    private final class Topics {
        final String frames;
        final String latents;
        final String alerts;
        final String dlq;
        final String updates;

        Topics(TestInfo info) {
            String prefix = info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-" + Long.toHexString(System.nanoTime()) + "-";
            frames = prefix + "frames";
            latents = prefix + "latents";
            alerts = prefix + "alerts";
            dlq = prefix + "dlq";
            updates = prefix + "updates";
            kafka.createTopics(frames, latents, alerts, dlq, updates);
        }
    }

    private Path registry() {
        return tmp.resolve("registry");
    }

    /** Fine-tuning after every 40 sampled frames (every frame sampled), the first 20 the reference set, lenient gate. */
    private ScoringJob.Builder job(Topics t) {
        return TestJobs.fineTuning(kafka, t.frames.substring(0, t.frames.length() - "frames".length()), registry());
    }

    private static JobClient start(ScoringJob job, Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        return job.start(env);
    }

    /** Sends the drifting camera's frames in order, ids f-0, f-1, ... */
    private static final class Sender {
        final String topic;
        final List<String> sent = new ArrayList<>();

        Sender(String topic) {
            this.topic = topic;
        }

        void send(int count) throws Exception {
            List<Records.Sent> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long index = sent.size();
                String id = "f-" + index;
                out.add(Records.Sent.frame("cam-0", id, CAMERA.frame(index, io.latentwatch.frames.synthetic.AnomalyKind.NONE).encodePng()));
                sent.add(id);
            }
            Records.send(kafka.clientProperties(), topic, out);
        }

        /** Sends 5 frames at a time until the committed latents records, in order, pass {@code test}. */
        void sendUntil(String latents, Predicate<List<JsonObject>> test, String what) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!test.test(Records.readCommitted(kafka.clientProperties(), latents).stream().map(Records::json).collect(Collectors.toList()))) {
                assertTrue(System.nanoTime() < deadline, "no " + what + " within 90 s");
                send(5);
                Thread.sleep(500);
            }
        }
    }

    /**
     * Sends the 60 frames of the first round (20 for the reference set, 40 for the reservoir) and returns its decision,
     * accepted or not.
     */
    private static JsonObject firstRound(Sender frames, Topics t) throws Exception {
        frames.send(60);
        return waitFor(t.updates, "the first round's decision", u -> parent(u) == 1 && !u.get("reason").getAsString().startsWith("initial"));
    }

    // ---- reading the topics ---------------------------------------------------------------------------------------

    private static Predicate<List<JsonObject>> any(Predicate<JsonObject> test) {
        return all -> all.stream().anyMatch(test);
    }

    /** parent_version, or -1 where it is null (the initial model). */
    private static long parent(JsonObject update) {
        return update.get("parent_version").isJsonNull() ? -1 : update.get("parent_version").getAsLong();
    }

    private static boolean accepted(JsonObject update) {
        return update.get("accepted").getAsBoolean();
    }

    private static JsonObject waitFor(String topic, String what, Predicate<JsonObject> test) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), topic)) {
                JsonObject j = Records.json(r);
                if (test.test(j)) {
                    return j;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no " + what + " in " + topic + " within 120 s");
            Thread.sleep(300);
        }
    }

    private static List<JsonObject> waitForCount(String topic, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<JsonObject> all = Records.readCommitted(kafka.clientProperties(), topic).stream().map(Records::json).collect(Collectors.toList());
            if (all.size() >= count) {
                return all;
            }
            assertTrue(System.nanoTime() < deadline, all.size() + " of " + count + " records in " + topic + " after 60 s");
            Thread.sleep(300);
        }
    }

    private static JsonObject lastAccepted(String topic) {
        JsonObject last = null;
        for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), topic)) {
            JsonObject j = Records.json(r);
            if (accepted(j)) {
                last = j;
            }
        }
        assertNotNull(last, "no accepted update in " + topic);
        return last;
    }

    /** Every latents record is judged against the calibrated threshold of the version that scored it. */
    private void assertThresholdsFollowTheServedModel(String latents) throws Exception {
        Map<Long, Double> thresholds = new HashMap<>();
        ModelRegistry registry = ModelRegistry.builder().setRoot(registry()).build();
        for (long v : registry.versions()) {
            thresholds.put(v, ModelDirectory.readMetadata(registry.path(v)).threshold());
        }
        for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), latents)) {
            JsonObject f = Records.json(r);
            long v = f.get("model_version").getAsLong();
            assertTrue(thresholds.containsKey(v), "version " + v + " is in the registry");
            assertEquals(thresholds.get(v), f.get("threshold").getAsDouble(), 1e-9 * thresholds.get(v), "threshold of " + f);
        }
        assertTrue(thresholds.values().stream().distinct().count() > 1, "each version has its own calibrated threshold: " + thresholds);
    }

    private static void assertEveryFrameOnce(String latents, List<String> sent) {
        Map<String, Long> counts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), latents));
        assertEquals(new java.util.TreeSet<>(sent), new java.util.TreeSet<>(counts.keySet()), "one latents record per frame");
        Map<String, Long> doubled = counts.entrySet().stream().filter(e -> e.getValue() != 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertEquals(Map.of(), doubled, "frames with more than one latents record");
    }

    private static void corrupt(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 0x55;
        Files.write(file, bytes);
    }

    /**
     * Throws once per key in this JVM, on a frame of a fine-tuned version (> 1) seen at least two seconds after the
     * first one: by then checkpoints have captured the scorers' switch.
     */
    static final class FailOnceOnANewVersion extends RichMapFunction<ScoredFrame, ScoredFrame> {
        static final Map<String, Boolean> FAILED = new ConcurrentHashMap<>();
        private final String key;
        private transient long firstNewAt;

        FailOnceOnANewVersion(String key) {
            this.key = key;
        }

        @Override
        public ScoredFrame map(ScoredFrame f) {
            if (f.modelVersion > 1) {
                long now = System.currentTimeMillis();
                if (firstNewAt == 0) {
                    firstNewAt = now;
                } else if (now - firstNewAt >= 2000 && FAILED.putIfAbsent(key, true) == null) {
                    throw new IllegalStateException("injected failure while serving version " + f.modelVersion);
                }
            }
            return f;
        }
    }
}
