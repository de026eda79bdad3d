package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.ChannelPolicy;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.SafeTensors;
import io.latentwatch.scoring.ScoredFrame;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Histogram;
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
 * The scoring job on a MiniCluster against a real broker: every valid frame scored exactly once (read_committed),
 * every bad one in the dead-letter topic with its reason, alerts for the injected anomalies; and the same after a
 * failure injected mid-stream.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ScoringJobITCase {

    static final JobMetrics METRICS = new JobMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = METRICS.miniCluster();

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.builder().partitions(2).start();
        TestModels.detector(); // trained once per JVM, before any job's clock runs
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyValidFrameOnceEveryBadFrameDeadLetteredAnomaliesAlerted(TestInfo info) throws Exception {
        String prefix = topicPrefix(info);
        kafka.createTopics(prefix + "frames", prefix + "latents", prefix + "alerts", prefix + "dlq");

        SyntheticCamera camera = TestModels.camera().anomalyRate(0.15).optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = Records.cameraFrames(camera, 10_000, 200, 3, sent);
        Map<String, String> bad = corruptFrames(sent);
        java.util.Collections.shuffle(sent, new java.util.Random(5));
        Records.send(kafka.clientProperties(), prefix + "frames", sent);

        ScoringJob job = job(prefix, info).set(ScoringJobOptions.MAX_FRAME_BYTES, MemorySize.parse("16kb"))
                .set(ScoringJobOptions.MAX_FRAME_SIDE, 512)
                .set(ScoringJobOptions.MAX_FRAME_PIXELS, 200_000L)
                .set(ScoringJobOptions.CHANNEL_POLICY, ChannelPolicy.EXACT)
                .build();
        JobID jobId = runToEnd(job, new Configuration());

        List<ConsumerRecord<byte[], byte[]>> latents = Records.readCommitted(kafka.clientProperties(), prefix + "latents");
        Map<String, Long> counts = Records.countByFrameId(latents);
        assertEquals(truth.keySet(), counts.keySet(), "one latents record per valid frame, nothing else");
        counts.forEach((id, n) -> assertEquals(1L, n, "latents records of " + id));
        JsonObject first = Records.json(latents.get(0));
        for (String field : List.of("source", "frame_id", "captured_at", "model_version", "mse", "kl", "score", "threshold", "anomaly", "mu", "log_var")) {
            assertTrue(first.has(field), "latents JSON lacks " + field + ": " + first);
        }
        assertEquals(16, first.getAsJsonArray("mu").size());
        assertEquals(16, first.getAsJsonArray("log_var").size());
        assertEquals(1, first.get("model_version").getAsLong());
        for (ConsumerRecord<byte[], byte[]> r : latents) {
            JsonObject j = Records.json(r);
            assertEquals(j.get("source").getAsString(), new String(r.key(), StandardCharsets.UTF_8), "key is the source");
            assertEquals(j.get("score").getAsDouble() > j.get("threshold").getAsDouble(), j.get("anomaly").getAsBoolean());
        }

        List<ConsumerRecord<byte[], byte[]>> dead = Records.readCommitted(kafka.clientProperties(), prefix + "dlq");
        Map<String, ConsumerRecord<byte[], byte[]>> deadById = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            deadById.put(Records.header(r, "test-id"), r);
        }
        assertEquals(bad.keySet(), deadById.keySet(), "every bad frame dead-lettered once");
        assertEquals(bad.size(), dead.size());
        Map<String, Records.Sent> sentById = sent.stream().filter(s -> s.headers().containsKey("test-id"))
                .collect(Collectors.toMap(s -> s.headers().get("test-id"), s -> s));
        bad.forEach((id, expected) -> {
            ConsumerRecord<byte[], byte[]> r = deadById.get(id);
            String error = Records.header(r, "error");
            assertNotNull(error, id + " has no error header");
            assertTrue(error.contains(expected), id + ": error '" + error + "' should contain '" + expected + "'");
            assertTrue(Set.of("decode", "validate").contains(Records.header(r, "error-stage")), id);
            Records.Sent original = sentById.get(id);
            assertArrayEquals(original.value(), r.value(), id + ": original value");
            assertEquals(original.key(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), id + ": original key");
            original.headers().forEach((k, v) -> assertEquals(v, Records.header(r, k), id + ": original header " + k));
        });
        assertEquals("decode", Records.header(deadById.get("garbage"), "error-stage"));
        assertEquals("validate", Records.header(deadById.get("rgb"), "error-stage"));
        assertEquals("validate", Records.header(deadById.get("pixel-bomb"), "error-stage"));
        assertEquals("decode", Records.header(deadById.get("gif"), "error-stage"));

        List<ConsumerRecord<byte[], byte[]>> alerts = Records.readCommitted(kafka.clientProperties(), prefix + "alerts");
        Set<String> alerted = alerts.stream().map(r -> Records.json(r).get("frame_id").getAsString()).collect(Collectors.toSet());
        assertEquals(alerts.size(), alerted.size(), "one alert per frame at most");
        long anomalies = truth.values().stream().filter(CameraFrame::isAnomaly).count();
        long caught = truth.entrySet().stream().filter(e -> e.getValue().isAnomaly() && alerted.contains(e.getKey())).count();
        long normals = truth.size() - anomalies;
        long falseAlerts = alerted.stream().filter(id -> !truth.get(id).isAnomaly()).count();
        assertTrue(anomalies >= 15, "the camera injected " + anomalies + " anomalies");
        assertTrue(caught >= 0.9 * anomalies, "alerts for " + caught + " of " + anomalies + " injected anomalies");
        assertTrue(falseAlerts <= Math.max(2, 0.04 * normals), falseAlerts + " false alerts among " + normals + " normal frames");
        JsonObject alert = Records.json(alerts.get(0));
        for (String field : List.of("source", "frame_id", "captured_at", "detected_at", "model_version", "score", "threshold", "severity", "mse")) {
            assertTrue(alert.has(field), "alert JSON lacks " + field + ": " + alert);
        }
        assertTrue(Set.of("low", "medium", "high").contains(alert.get("severity").getAsString()));

        // the job's own account, as an operator reads it from the REST API or Prometheus
        assertEquals(sent.size(), METRICS.count(jobId, "framesIn"), "framesIn");
        assertEquals(bad.size(), METRICS.count(jobId, "framesDeadLettered"), "framesDeadLettered");
        assertEquals(truth.size(), METRICS.count(jobId, "framesScored"), "framesScored");
        assertEquals(alerts.size(), METRICS.count(jobId, "alerts"), "alerts");
        List<Histogram> batches = METRICS.histograms(jobId, "batchSize");
        assertEquals(2, batches.size(), "one batchSize histogram per scorer subtask");
        double framesInBatches = 0;
        for (Histogram h : batches) {
            if (h.getCount() > 0) { // a subtask may get no source's frames
                assertTrue(h.getStatistics().getMin() >= 1 && h.getStatistics().getMax() <= 16,
                        "batches of 1 to 16 frames (max batch size 16): " + h.getStatistics().getMin() + " to "
                                + h.getStatistics().getMax());
                framesInBatches += h.getStatistics().getMean() * h.getCount(); // fewer batches than the histogram's window
            }
        }
        assertEquals(truth.size(), framesInBatches, 1e-6, "the batch sizes add up to the frames scored");
        long inferences = METRICS.histograms(jobId, "inferenceTimeMicros").stream().mapToLong(Histogram::getCount).sum();
        assertEquals(batches.stream().mapToLong(Histogram::getCount).sum(), inferences, "one inference time per batch");
    }

    @Test
    void aFailureMidStreamLosesAndDoublesNothing(TestInfo info) throws Exception {
        String prefix = topicPrefix(info);
        kafka.createTopics(prefix + "frames", prefix + "latents", prefix + "alerts", prefix + "dlq");
        SyntheticCamera camera = TestModels.camera().anomalyRate(0.1).optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = Records.cameraFrames(camera, 20_000, 240, 2, sent);
        Records.send(kafka.clientProperties(), prefix + "frames", sent);

        String failureKey = prefix;
        ScoringJob job = job(prefix, info)
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .optAfterScoring(s -> s.map(new FailOnceAfterACheckpoint(failureKey, 120)).name("fail once").uid("test-fail-once"))
                .build();
        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        runToEnd(job, restart);
        assertTrue(FailOnceAfterACheckpoint.FAILED.containsKey(failureKey), "the injected failure happened");

        Map<String, Long> counts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), prefix + "latents"));
        assertEquals(truth.keySet(), counts.keySet(), "every frame scored after the restart");
        Map<String, Long> doubled = counts.entrySet().stream().filter(e -> e.getValue() != 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertEquals(Map.of(), doubled, "frames with more than one latents record");
        // alerts are at-least-once: none lost; a repeat (the frames replayed after the restart) is the same alert
        Set<String> flagged = Records.readCommitted(kafka.clientProperties(), prefix + "latents").stream().map(Records::json)
                .filter(j -> j.get("anomaly").getAsBoolean()).map(j -> j.get("frame_id").getAsString()).collect(Collectors.toSet());
        Map<String, JsonObject> alerts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), prefix + "alerts")) {
            JsonObject a = Records.json(r);
            JsonObject first = alerts.putIfAbsent(a.get("frame_id").getAsString(), a);
            if (first != null) {
                for (String field : new String[] {"source", "captured_at", "model_version", "severity"}) {
                    assertEquals(first.get(field), a.get(field), "a repeated alert's " + field + ": " + first + " / " + a);
                }
                double score = first.get("score").getAsDouble();
                assertEquals(score, a.get("score").getAsDouble(), 1e-4 * Math.abs(score), "a repeated alert's score");
            }
        }
        assertTrue(alerts.keySet().containsAll(flagged), "an alert for every frame its latents record flags");
        assertTrue(!flagged.isEmpty(), "the injected anomalies were flagged");
    }

    @Test
    void aRefusedFrameNearTheRecordLimitIsDeadLetteredCutToFitAndScoringGoesOn(TestInfo info) throws Exception {
        String prefix = topicPrefix(info);
        kafka.createTopics(prefix + "frames", prefix + "latents", prefix + "alerts", prefix + "dlq");
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = Records.cameraFrames(TestModels.camera().build(), 30_000, 40, 2, sent);
        // what a foreign client may send: a PNG signature, then 1 MB of noise, just under what the broker accepts
        byte[] big = new byte[1_048_400];
        new java.util.Random(11).nextBytes(big);
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, 0, big, 0, 8);
        Map<String, String> headers = new LinkedHashMap<>(Map.of("test-id", "near-the-limit", "frame-id", "big-1"));
        sent.add(20, new Records.Sent("cam-0", big, headers));
        Records.send(kafka.clientProperties(), prefix + "frames", sent);

        runToEnd(job(prefix, info).build(), new Configuration());

        Map<String, Long> counts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), prefix + "latents"));
        assertEquals(truth.keySet(), counts.keySet(), "every valid frame scored, also those after the big one");
        List<ConsumerRecord<byte[], byte[]>> dead = Records.readCommitted(kafka.clientProperties(), prefix + "dlq");
        assertEquals(1, dead.size(), "the big frame dead-lettered once");
        ConsumerRecord<byte[], byte[]> d = dead.get(0);
        assertEquals("true", Records.header(d, "truncated"));
        assertEquals(String.valueOf(big.length), Records.header(d, "original-size"));
        assertEquals(io.latentwatch.model.ModelDirectory.sha256(big), Records.header(d, "original-sha256"));
        assertEquals("near-the-limit", Records.header(d, "test-id"), "the original headers are kept");
        assertEquals("cam-0", new String(d.key(), StandardCharsets.UTF_8), "and the key");
        assertTrue(Records.header(d, "error").startsWith("undecodable image"), Records.header(d, "error"));
        assertTrue(d.value().length < big.length && d.value().length > big.length - 2048, "as much of the value as fits: " + d.value().length);
        assertArrayEquals(Arrays.copyOf(big, d.value().length), d.value(), "the value's first bytes");
    }

    @Test
    void aModelWhoseScoresAreNotFiniteAlertsEveryFrameAsInvalidAndLeavesTheThresholdsAlone(TestInfo info, @TempDir Path tmp) throws Exception {
        String prefix = topicPrefix(info);
        kafka.createTopics(prefix + "frames", prefix + "latents", prefix + "alerts", prefix + "dlq");
        // finite weights, so the model loads, but so large (±3e38) that the decoder overflows: inf - inf, every score NaN
        Path overflowing = TestModels.copyAs(TestModels.detector(), tmp.resolve("overflowing"), 1, weights -> {
            SafeTensors.Tensor w = weights.get("decoder_input.weight");
            float[] v = w.floats();
            for (int i = 0; i < v.length; i++) {
                v[i] = i % 2 == 0 ? 3e38f : -3e38f;
            }
            weights.put("decoder_input.weight", SafeTensors.Tensor.f32(w.shape, v));
            return weights;
        });
        double base = io.latentwatch.model.ModelDirectory.readMetadata(overflowing).threshold();
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = Records.cameraFrames(TestModels.camera().build(), 40_000, 30, 2, sent);
        Records.send(kafka.clientProperties(), prefix + "frames", sent);

        runToEnd(job(prefix, info).set(ScoringJobOptions.MODEL_PATH, overflowing.toString())
                .set(ScoringJobOptions.ADAPTIVE_THRESHOLD, true)
                .set(ScoringJobOptions.WARM_UP_FRAMES, 5)
                .build(), new Configuration());

        List<ConsumerRecord<byte[], byte[]>> latents = Records.readCommitted(kafka.clientProperties(), prefix + "latents");
        assertEquals(truth.size(), latents.size());
        for (ConsumerRecord<byte[], byte[]> r : latents) {
            JsonObject j = Records.json(r);
            assertTrue(j.get("score").isJsonNull(), "the score is not a number: " + j);
            assertTrue(j.get("anomaly").getAsBoolean(), "a frame without a score is never normal: " + j);
            assertEquals(base, j.get("threshold").getAsDouble(), 1e-12, "no NaN entered the source's statistics: " + j);
        }
        List<ConsumerRecord<byte[], byte[]>> alerts = Records.readCommitted(kafka.clientProperties(), prefix + "alerts");
        assertEquals(truth.keySet(), alerts.stream().map(r -> Records.json(r).get("frame_id").getAsString()).collect(Collectors.toSet()),
                "every frame alerted");
        alerts.forEach(r -> assertEquals("invalid", Records.json(r).get("severity").getAsString()));
    }

    /** A job on this test's topics, the test model, exactly-once, bounded at the frames' current end. */
    private static ScoringJob.Builder job(String prefix, TestInfo info) {
        return TestJobs.onTopics(kafka, prefix)
                .optStoppingOffsets(OffsetsInitializer.latest())
                .set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, prefix + "tx")
                .set(ScoringJobOptions.SCORING_PARALLELISM, 2)
                .set(ScoringJobOptions.MAX_BATCH_SIZE, 16)
                .set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(10))
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
    }

    /** Runs the job until its bounded source ends; returns its id. */
    private static JobID runToEnd(ScoringJob job, Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        JobClient client = job.start(env);
        JobExecutionResult result = client.getJobExecutionResult().get(180, TimeUnit.SECONDS);
        assertNotNull(result);
        return client.getJobID();
    }

    private static String topicPrefix(TestInfo info) {
        return info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-" + Long.toHexString(System.nanoTime()) + "-";
    }

    /**
     * Adds the bad frames to {@code sent}, each with a {@code test-id} header; returns test id → a part of the
     * reason the dead-letter topic must give.
     */
    private static Map<String, String> corruptFrames(List<Records.Sent> sent) throws java.io.IOException {
        Map<String, String> reasons = new LinkedHashMap<>();
        SyntheticCamera gray = TestModels.camera().build();
        byte[] png = gray.frame(1).encodePng();
        add(sent, reasons, "garbage", "cam-0", "definitely not an image".getBytes(StandardCharsets.UTF_8), "not an image");
        add(sent, reasons, "empty", "cam-1", new byte[0], "empty image");
        add(sent, reasons, "truncated", "cam-2", Arrays.copyOf(png, png.length / 2), "undecodable image");
        add(sent, reasons, "rgb", "cam-0", SyntheticCamera.builder().seed(7).imageSize(32).channels(3).build().frame(2).encodePng(),
                "wrong channel count: the image has 3 colour channels, the model takes 1");
        BufferedImage noise = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(1);
        for (int y = 0; y < 96; y++) {
            for (int x = 0; x < 96; x++) {
                noise.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        add(sent, reasons, "too-many-bytes", "cam-1", ImageEncoding.png(noise), "frame too large");
        add(sent, reasons, "too-wide", "cam-2", ImageEncoding.png(new BufferedImage(600, 8, BufferedImage.TYPE_BYTE_GRAY)), "image too large: 600x8");
        add(sent, reasons, "pixel-bomb", "cam-0", HostileImages.blackPng(500, 500, false),
                "image too large: 500x500 pixels (250000), the limit is 200000 pixels (latentwatch.frames.max-pixels)");
        add(sent, reasons, "gif", "cam-1", HostileImages.gif(), "not a PNG, JPEG or BMP image (GIF)");
        add(sent, reasons, "no-key", null, png, "no key");
        Records.Sent badTime = new Records.Sent("cam-1", png, new LinkedHashMap<>(Map.of("test-id", "bad-time", "captured-at", "yesterday")));
        sent.add(badTime);
        reasons.put("bad-time", "captured-at header is not epoch milliseconds");
        return reasons;
    }

    private static void add(List<Records.Sent> sent, Map<String, String> reasons, String id, String key, byte[] value, String reason) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("test-id", id);
        headers.put("frame-id", "bad-" + id);
        sent.add(new Records.Sent(key, value, headers));
        reasons.put(id, reason);
    }

    /**
     * Passes frames through; once a checkpoint has completed and it has seen {@code after} frames, throws once per
     * key in this JVM. Until the first checkpoint completes it slows each frame a little, so that the stream cannot
     * end before there is a checkpoint to restore.
     */
    static final class FailOnceAfterACheckpoint extends RichMapFunction<ScoredFrame, ScoredFrame> implements CheckpointListener {
        static final Map<String, Boolean> FAILED = new ConcurrentHashMap<>();
        private final String key;
        private final int after;
        private transient int seen;
        private transient AtomicBoolean checkpointed;

        FailOnceAfterACheckpoint(String key, int after) {
            this.key = key;
            this.after = after;
        }

        @Override
        public ScoredFrame map(ScoredFrame f) throws Exception {
            if (checkpointed == null) {
                checkpointed = new AtomicBoolean();
            }
            seen++;
            if (!checkpointed.get()) {
                Thread.sleep(20);
            } else if (seen >= after / 2 && FAILED.putIfAbsent(key, true) == null) {
                throw new IllegalStateException("injected failure after " + seen + " frames in this subtask");
            }
            return f;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (checkpointed == null) {
                checkpointed = new AtomicBoolean();
            }
            checkpointed.set(true);
        }
    }
}
