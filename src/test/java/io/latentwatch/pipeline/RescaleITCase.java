package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.ThreadLeaks;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.scoring.ScoredFrame;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rescaling and upgrading the scoring job the way an operator does it, on a MiniCluster against a real broker: stop
 * with a savepoint mid-stream at scoring parallelism 1, restore at 2, stop with a savepoint again, restore at 1 and
 * drain. Across the three runs every frame has exactly one latents record (read_committed) and at most one alert;
 * every frame is judged against the same adapted per-source threshold as in one uninterrupted run (the keyed
 * threshold state moves between subtasks and back); the fine-tuner's reservoir holds every normal frame sampled since
 * the job began; and the sinks' transactions of the stopped runs, the removed subtask's included, never linger.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RescaleITCase {

    static final JobMetrics METRICS = new JobMetrics();

    /**
     * A savepoint's barrier waits behind the batches in flight to the scorers: with the default 32 KB network buffers
     * about ten batches of these small frames, with 4 KB ones about one, so that each stop falls mid-stream.
     */
    @RegisterExtension
    static final MiniClusterExtension FLINK = METRICS.miniCluster(smallNetworkBuffers());

    private static Configuration smallNetworkBuffers() {
        Configuration c = new Configuration();
        c.set(TaskManagerOptions.MEMORY_SEGMENT_SIZE, MemorySize.parse("4kb"));
        return c;
    }

    /** Frames of four sources, round robin: 100 each. */
    private static final int FRAMES = 400;
    /** Sources whose keys Kafka's partitioner puts two on each partition, so that both subtasks of run 2 score alike. */
    private static final List<String> SOURCES = List.of("cam-0", "cam-1", "cam-4", "cam-7");
    /** Adapted thresholds apply after this many normal frames of a source: within the first run. */
    private static final int WARM_UP = 5;
    /** Frames each of the first two runs commits before it is stopped (8 a source). */
    private static final int STEP = 40;
    private static final int REFERENCE_FRAMES = 20;
    /** Time the test's pacing step takes per frame, so that each stop falls mid-stream on any machine. */
    private static final Duration PACE = Duration.ofMillis(60);

    private static EmbeddedKafka kafka;

    @TempDir Path tmp;
    /** This test's topic and id prefix. */
    private String prefix;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.builder().partitions(2).start();
        TestModels.detector();
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void stopWithSavepointAndRestoreAtParallelismTwoThenOneKeepsOutputsThresholdsAndTheReservoir(TestInfo info) throws Exception {
        Set<Thread> threadsBefore = ThreadLeaks.snapshot();
        String p = info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-" + Long.toHexString(System.nanoTime()) + "-";
        prefix = p;
        kafka.createTopics(p + "frames", p + "latents", p + "alerts", p + "dlq", p + "updates");
        kafka.createTopics(p + "ref-latents", p + "ref-alerts", p + "ref-dlq", p + "ref-updates");
        SyntheticCamera camera = TestModels.camera().anomalyRate(0.05).optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = new LinkedHashMap<>();
        for (int i = 0; i < FRAMES; i++) {
            CameraFrame f = camera.frame(40_000 + i);
            String source = SOURCES.get(i % SOURCES.size());
            truth.put(source + "-" + f.index(), f);
            sent.add(Records.Sent.frame(source, source + "-" + f.index(), f.encodePng()));
        }
        assertEquals(List.of(1, 1, 0, 0), SOURCES.stream().map(s -> partition(s, 2)).collect(Collectors.toList()), "partitions of " + SOURCES);
        // the first half now, the second once run 1 has stopped: each stop falls with frames still to score
        Records.send(kafka.clientProperties(), p + "frames", sent.subList(0, FRAMES / 2));
        String savepoints = tmp.resolve("savepoints").toUri().toString();

        // run 1, parallelism 1: stopped with a savepoint once STEP frames are committed
        JobClient run1 = start(job(p, "", tmp.resolve("registry"), true), 1, null);
        waitUntil(() -> committed(p + "latents").size() >= STEP, STEP + " frames committed by run 1");
        int atStop1 = committed(p + "latents").size();
        String savepoint1 = stop(run1, savepoints, false);
        Map<String, JsonObject> afterRun1 = committed(p + "latents");
        assertTrue(afterRun1.size() < FRAMES, "run 1 stopped mid-stream, not after the last frame: " + afterRun1.size());
        assertReservoirHoldsTheSampledFrames(run1.getJobID(), afterRun1, "run 1");

        // run 2, parallelism 2, from the savepoint: stopped again once another STEP frames are committed
        Records.send(kafka.clientProperties(), p + "frames", sent.subList(FRAMES / 2, FRAMES));
        JobClient run2 = start(job(p, "", tmp.resolve("registry"), true), 2, savepoint1);
        waitUntil(() -> committed(p + "latents").size() >= afterRun1.size() + STEP, "another " + STEP + " frames committed by run 2");
        int atStop2 = committed(p + "latents").size();
        String savepoint2 = stop(run2, savepoints, false);
        Map<String, JsonObject> afterRun2 = committed(p + "latents");
        assertTrue(afterRun2.size() < FRAMES, "run 2 stopped mid-stream: " + afterRun2.size());
        assertReservoirHoldsTheSampledFrames(run2.getJobID(), afterRun2, "run 2");
        List<Long> perScorer = METRICS.histograms(run2.getJobID(), "batchSize").stream().map(h -> h.getCount()).collect(Collectors.toList());
        assertEquals(2, perScorer.size(), "run 2 has two scorer subtasks");
        assertTrue(perScorer.stream().allMatch(n -> n > 0), "both scorer subtasks of run 2 scored batches: " + perScorer);

        // run 3, parallelism 1, from the second savepoint: the removed subtask's transactions must not linger
        JobClient run3 = start(job(p, "", tmp.resolve("registry"), true), 1, savepoint2);
        waitUntil(() -> committed(p + "latents").size() > afterRun2.size(), "run 3 commits latents records");
        for (String sink : List.of("latents", "dlq")) { // the alerts sink is at-least-once: no transactions
            assertEquals(List.of(), ongoingTransactions(p + "tx-" + sink + "-1-"), "open transactions of the " + sink
                    + " sink's subtask 1, which run 3 no longer has");
        }
        waitUntil(() -> committed(p + "latents").size() >= FRAMES, "every frame committed by run 3");
        stop(run3, savepoints, true);
        Map<String, JsonObject> all = committed(p + "latents");
        assertReservoirHoldsTheSampledFrames(run3.getJobID(), all, "run 3");

        // exactly once across the three runs
        List<ConsumerRecord<byte[], byte[]>> latents = Records.readCommitted(kafka.clientProperties(), p + "latents");
        Map<String, Long> counts = Records.countByFrameId(latents);
        assertEquals(truth.keySet(), counts.keySet(), "one latents record per frame across the runs");
        assertEquals(Map.of(), notOnce(counts), "frames with more than one latents record");
        Map<String, Long> alerts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), p + "alerts"));
        assertEquals(Map.of(), notOnce(alerts), "frames with more than one alert");
        Set<String> flagged = all.values().stream().filter(f -> f.get("anomaly").getAsBoolean()).map(f -> f.get("frame_id").getAsString())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(flagged, new TreeSet<>(alerts.keySet()), "an alert for each frame its latents record flags, and no other");
        long anomalies = truth.values().stream().filter(CameraFrame::isAnomaly).count();
        assertTrue(anomalies >= 5 && alerts.size() >= anomalies * 0.8, alerts.size() + " alerts for " + anomalies + " injected anomalies");

        // the same frames through one uninterrupted run: every frame judged against the same per-source threshold
        // (fine-tuning off: its model-updates source would keep a bounded job running; no round is due anyway)
        JobClient reference = start(job(p, "ref-", tmp.resolve("ref-registry"), false).set(ScoringJobOptions.TUNING_ENABLED, false)
                .optStoppingOffsets(OffsetsInitializer.latest()), 1, null);
        reference.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        Map<String, JsonObject> uninterrupted = committed(p + "ref-latents");
        assertEquals(truth.keySet(), uninterrupted.keySet(), "the uninterrupted run scored every frame");
        double base = ModelDirectory.readMetadata(TestModels.detector()).threshold();
        assertThresholdsContinue(all, uninterrupted, afterRun1.keySet(), afterRun2.keySet(), base);

        assertEquals(List.of(), ongoingTransactions(p + "tx"), "open transactions of the job after the last stop");
        ThreadLeaks.assertNoNewThreads(threadsBefore, Duration.ofSeconds(15),
                t -> t.getName().startsWith("latentwatch-") || t.getName().contains(p));
        System.out.printf("rescale 1 -> 2 -> 1: %d frames; stops asked at %d and %d committed, savepoints hold %d and %d; %d alerts;"
                + " savepoints %s, %s%n", FRAMES, atStop1, atStop2, afterRun1.size(), afterRun2.size(), alerts.size(), savepoint1, savepoint2);
    }

    /**
     * Per frame, the rescaled runs' threshold and verdict equal the uninterrupted run's (scores differ in the last
     * bits with the batches' make-up); and right after each restore each source is still judged against its adapted
     * threshold, not the base one it would start from afresh.
     */
    private static void assertThresholdsContinue(Map<String, JsonObject> rescaled, Map<String, JsonObject> uninterrupted,
            Set<String> beforeStop1, Set<String> beforeStop2, double base) {
        for (Map.Entry<String, JsonObject> e : rescaled.entrySet()) {
            JsonObject r = e.getValue();
            JsonObject u = uninterrupted.get(e.getKey());
            double t = r.get("threshold").getAsDouble();
            double expected = u.get("threshold").getAsDouble();
            assertEquals(expected, t, 1e-4 * expected, "threshold of " + e.getKey() + " (uninterrupted: " + u + ", rescaled: " + r + ")");
            double margin = Math.abs(r.get("score").getAsDouble() - t);
            if (margin > 1e-3 * t) {
                assertEquals(u.get("anomaly").getAsBoolean(), r.get("anomaly").getAsBoolean(), "verdict on " + e.getKey());
            }
        }
        for (Set<String> before : List.of(beforeStop1, beforeStop2)) {
            // sources past their warm-up at the stop (the frames source reads one partition ahead of the other)
            Map<String, Long> normalsBefore = rescaled.values().stream()
                    .filter(f -> before.contains(f.get("frame_id").getAsString()) && !f.get("anomaly").getAsBoolean())
                    .collect(Collectors.groupingBy(f -> f.get("source").getAsString(), Collectors.counting()));
            Map<String, JsonObject> firstAfter = new TreeMap<>();
            for (JsonObject f : rescaled.values()) {
                String source = f.get("source").getAsString();
                if (!before.contains(f.get("frame_id").getAsString()) && normalsBefore.getOrDefault(source, 0L) >= WARM_UP) {
                    firstAfter.merge(source, f, (a, b) -> index(a) < index(b) ? a : b);
                }
            }
            assertTrue(!firstAfter.isEmpty(), "a source past its warm-up before the stop has frames after it: " + normalsBefore);
            for (JsonObject f : firstAfter.values()) {
                assertNotEquals(base, f.get("threshold").getAsDouble(), 1e-9 * base,
                        "the first frame of " + f.get("source").getAsString() + " after a restore is judged against its adapted threshold: " + f);
            }
        }
    }

    /**
     * Below its capacity the reservoir holds every frame the fine-tuner was sent after its reference set: each frame
     * judged normal. Its gauge at a stop (the state the savepoint took) counts the normal frames committed by then.
     */
    private static void assertReservoirHoldsTheSampledFrames(JobID job, Map<String, JsonObject> committed, String run) {
        long normals = committed.values().stream().filter(f -> !f.get("anomaly").getAsBoolean()).count();
        assertEquals(normals - REFERENCE_FRAMES, METRICS.gauge(job, "reservoirFrames"),
                "reservoir frames at the end of " + run + " (" + normals + " normal frames committed so far, " + REFERENCE_FRAMES
                        + " of them the reference set)");
    }

    /** The frame's index within the camera stream, from its id cam-S-I. */
    private static long index(JsonObject f) {
        String id = f.get("frame_id").getAsString();
        return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
    }

    private static Map<String, Long> notOnce(Map<String, Long> counts) {
        return counts.entrySet().stream().filter(e -> e.getValue() != 1).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** The partition Kafka's default partitioner gives a key. */
    private static int partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** Committed latents records by frame id (read_committed). */
    private static Map<String, JsonObject> committed(String topic) {
        Map<String, JsonObject> byId = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), topic)) {
            JsonObject j = Records.json(r);
            byId.put(j.get("frame_id").getAsString(), j);
        }
        return byId;
    }

    /** Transactions the broker holds open (ONGOING, PREPARE_*) whose id starts with {@code prefix}. */
    private static List<String> ongoingTransactions(String prefix) throws Exception {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Collection<TransactionListing> open = admin.listTransactions(new ListTransactionsOptions().filterStates(
                    List.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT))).all().get(20, TimeUnit.SECONDS);
            return open.stream().map(TransactionListing::transactionalId).filter(id -> id.startsWith(prefix)).sorted().collect(Collectors.toList());
        }
    }

    private void waitUntil(BooleanSupplier done, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within 90 s; open transactions " + ongoingTransactions(prefix)
                        + "; latents records committed " + Records.readCommitted(kafka.clientProperties(), prefix + "latents").size()
                        + ", written " + readUncommitted(prefix + "latents"));
            }
            Thread.sleep(200);
        }
    }

    /** How many records a topic holds, committed or not (read_uncommitted), transaction markers aside. */
    private static int readUncommitted(String topic) {
        Map<String, Object> c = new HashMap<>(kafka.clientProperties());
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
        c.put(org.apache.kafka.clients.consumer.ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
        int n = 0;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(c)) {
            List<org.apache.kafka.common.TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).collect(Collectors.toList());
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline && tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                n += consumer.poll(Duration.ofMillis(200)).count();
            }
        }
        return n;
    }

    // ---- the job ------------------------------------------------------------------------------------------------

    /**
     * The job on topics {@code p + out + "latents"} etc.: adaptive thresholds (warm-up {@value #WARM_UP} frames),
     * fine-tuning on with every frame sampled but no round due (so one model version serves throughout), and, with
     * {@code paced}, a step that takes {@link #PACE} per frame.
     */
    private static ScoringJob.Builder job(String p, String out, Path registry, boolean paced) {
        ScoringJob.Builder b = TestJobs.onTopics(kafka, p + out)
                .set(ScoringJobOptions.FRAMES_TOPIC, p + "frames") // the reference run reads the same frames
                .set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, p + out + "tx")
                .set(ScoringJobOptions.MAX_BATCH_SIZE, 8)
                .set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(5))
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(ScoringJobOptions.ADAPTIVE_THRESHOLD, true)
                .set(ScoringJobOptions.WARM_UP_FRAMES, WARM_UP)
                .set(ScoringJobOptions.ADAPTATION_WINDOW, 50)
                .set(ScoringJobOptions.TUNING_ENABLED, true)
                .set(ScoringJobOptions.TUNING_REGISTRY, registry.toString())
                .set(ScoringJobOptions.TUNING_SAMPLE_RATE, 1.0)
                .set(ScoringJobOptions.TUNING_REFERENCE_FRAMES, REFERENCE_FRAMES)
                .set(ScoringJobOptions.TUNING_FRAMES, 100_000)
                .set(ScoringJobOptions.TUNING_INTERVAL, Duration.ofHours(1))
                .set(ScoringJobOptions.TUNING_RESERVOIR_CAPACITY, 1024)
                .set(ScoringJobOptions.TUNING_HELD_OUT_CAPACITY, 256)
                .set(ScoringJobOptions.TUNING_HELD_OUT_EVERY, 4)
                .set(ScoringJobOptions.TUNING_DEVICE, "cpu");
        if (paced) {
            b.optAfterScoring(s -> s.map(new Pace(PACE.toMillis())).name("pace").uid("test-pace"));
        }
        return b;
    }

    /**
     * Submits the job at this parallelism (the scorers' and the threshold step's, as {@code flink run -p} and {@code
     * --parallelism} set both), restored from {@code savepoint} unless it is null.
     */
    private static JobClient start(ScoringJob.Builder job, int parallelism, String savepoint) throws Exception {
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        return job.set(ScoringJobOptions.SCORING_PARALLELISM, parallelism).build().start(env);
    }

    /** Stops the job with a canonical savepoint (draining it with {@code drain}) and waits until it has finished. */
    private String stop(JobClient client, String directory, boolean drain) throws Exception {
        waitUntil(() -> status(client) == JobStatus.RUNNING, "running job to stop");
        String path = client.stopWithSavepoint(drain, directory, SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        client.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        assertEquals(JobStatus.FINISHED, status(client));
        assertTrue(Files.isDirectory(path.startsWith("file:") ? Paths.get(URI.create(path)) : Paths.get(path)), "savepoint at " + path);
        return path;
    }

    private static JobStatus status(JobClient client) {
        try {
            return client.getJobStatus().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("job status of " + client.getJobID(), e);
        }
    }

    /** Passes frames on after a fixed pause: the test's stand-in for a slower model, so that stops fall mid-stream. */
    static final class Pace implements MapFunction<ScoredFrame, ScoredFrame> {
        private static final long serialVersionUID = 1L;
        private final long millis;

        Pace(long millis) {
            this.millis = millis;
        }

        @Override
        public ScoredFrame map(ScoredFrame f) throws InterruptedException {
            Thread.sleep(millis);
            return f;
        }
    }
}
