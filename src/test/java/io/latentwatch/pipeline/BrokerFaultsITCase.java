package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly-once through broker faults, against a real broker that is stopped and started again under a running job
 * (KafkaWriterFaultToleranceITCase's scenario), and two jobs of different groups on one broker.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BrokerFaultsITCase {

    static final JobMetrics METRICS = new JobMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = METRICS.miniCluster();

    private EmbeddedKafka kafka;

    @BeforeAll
    static void trainModel() {
        TestModels.detector();
    }

    @AfterEach
    void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aBrokerOutageMidStreamLosesAndDoublesNothing(TestInfo info) throws Exception {
        kafka = EmbeddedKafka.builder().partitions(2).start();
        String p = topics(info);
        Map<String, CameraFrame> truth = send(p, 0, 400);
        JobClient client = start(job(p).build(), true);

        waitForLatents(p, 60);
        kafka.stop(); // the outage: about as long as a broker's restart
        long stoppedAt = System.nanoTime();
        Thread.sleep(25_000);
        kafka.restart();
        System.out.printf("broker down for %.1f s%n", (System.nanoTime() - stoppedAt) / 1e9);

        client.getJobExecutionResult().get(200, TimeUnit.SECONDS);
        assertExactlyOnce(p, truth);
        System.out.println("restarts caused by the outage: " + METRICS.restarts(client.getJobID()));
    }

    @Test
    void twoJobsOfDifferentGroupsWithDefaultTransactionalIdsDoNotFenceEachOther(TestInfo info) throws Exception {
        kafka = EmbeddedKafka.builder().partitions(1).start();
        String a = topics(info) + "a-";
        String b = topics(info) + "b-";
        Map<String, CameraFrame> truthA = send(a, 0, 150);
        Map<String, CameraFrame> truthB = send(b, 1000, 150);
        // neither sets a transactional-id prefix: each takes its group's, so their producers never share an id
        // and restarts are off: a fenced producer would fail its job for good
        JobClient ja = start(job(a).set(ScoringJobOptions.GROUP_ID, a + "group").build(), false);
        JobClient jb = start(job(b).set(ScoringJobOptions.GROUP_ID, b + "group").build(), false);
        ja.getJobExecutionResult().get(200, TimeUnit.SECONDS);
        jb.getJobExecutionResult().get(200, TimeUnit.SECONDS);
        assertExactlyOnce(a, truthA);
        assertExactlyOnce(b, truthB);
    }

    /**
     * An outage longer than the sinks' transaction timeout (8 s here, against a 20 s outage). Mostly the job finished
     * with every frame once and no restart: the writers wait out the outage, and Kafka aborts only transactions that
     * stay open past the timeout while a coordinator runs. But when the broker's coordinator aborts a transaction whose
     * checkpoint completed before Flink's committer commits it, the committer logs "Unable to commit transaction ... in an
     * invalid state" and drops it (flink-connector-kafka treats that as a known failure, not a job failure): that
     * checkpoint's records are lost (seen once in four CI runs, 2026-12-01). What holds either way, and is asserted:
     * nothing doubled, everything committed before the outage kept, and what is lost is one run of consecutive frames
     * (whole transactions), never scattered records. docs/streaming.md says so: keep transaction.timeout.ms above
     * the longest outage to ride out.
     */
    @Test
    void anOutageLongerThanTheTransactionTimeoutLosesNothingSilently(TestInfo info) throws Exception {
        kafka = EmbeddedKafka.builder().partitions(1).brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000").start();
        String p = topics(info);
        Map<String, CameraFrame> truth = send(p, 0, 400);
        Map<String, Object> client = new HashMap<>(kafka.clientProperties());
        client.put("transaction.timeout.ms", "8000");
        JobClient job = start(job(p).optKafkaClientConfig(KafkaClientConfig.of(client)).build(), true);
        waitForLatents(p, 60);
        int before = Records.readCommitted(kafka.clientProperties(), p + "latents").size();
        kafka.stop();
        Thread.sleep(20_000);
        kafka.restart();
        Exception failure = null;
        try {
            job.getJobExecutionResult().get(150, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            failure = e;
        }
        System.out.println("an outage past the transaction timeout: " + (failure == null ? "finished" : "failed: " + failure)
                + ", restarts " + METRICS.restarts(job.getJobID()));
        Map<String, Long> counts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), p + "latents"));
        assertTrue(counts.values().stream().allMatch(n -> n == 1), "nothing doubled: " + counts);
        // frames were sent to one partition in index order, so a lost transaction is a run of consecutive indexes
        List<Integer> lost = truth.keySet().stream().filter(id -> !counts.containsKey(id))
                .map(id -> Integer.parseInt(id.substring(id.lastIndexOf('-') + 1))).sorted().collect(Collectors.toList());
        System.out.println("an outage past the transaction timeout: " + lost.size() + " frames lost " + lost);
        assertTrue(lost.isEmpty() || lost.get(lost.size() - 1) - lost.get(0) == lost.size() - 1,
                "what is lost is whole transactions, one run of consecutive frames: " + lost);
        assertTrue(lost.isEmpty() || lost.get(0) >= before, "frames committed before the outage are kept: " + lost + ", " + before + " before");
        assertTrue(counts.keySet().stream().allMatch(truth::containsKey), "no latents record of a frame not sent: " + counts.keySet());
        if (failure == null && lost.isEmpty()) {
            assertExactlyOnce(p, truth);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private String topics(TestInfo info) {
        String p = info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-" + Long.toHexString(System.nanoTime()) + "-";
        for (String s : List.of("", "a-", "b-")) {
            kafka.createTopics(p + s + "frames", p + s + "latents", p + s + "alerts", p + s + "dlq");
        }
        return p;
    }

    private Map<String, CameraFrame> send(String p, long first, int count) throws Exception {
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = Records.cameraFrames(TestModels.camera().anomalyRate(0.1).build(), first, count, 2, sent);
        Records.send(kafka.clientProperties(), p + "frames", sent);
        return truth;
    }

    /** Exactly-once with the job's defaults (no transactional-id prefix set), bounded at the frames' current end. */
    private ScoringJob.Builder job(String p) {
        return TestJobs.onTopics(kafka, p)
                .optStoppingOffsets(OffsetsInitializer.latest())
                .set(ScoringJobOptions.SCORING_PARALLELISM, 1)
                .set(ScoringJobOptions.MAX_BATCH_SIZE, 8)
                .set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(10))
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500))
                // the alerts' exactly-once choice (not the default) is held to "once" through the broker's faults
                .set(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE, ScoringJobOptions.Delivery.EXACTLY_ONCE);
    }

    private static JobClient start(ScoringJob job, boolean restarts) throws Exception {
        Configuration conf = new Configuration();
        if (!restarts) {
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        return job.start(env);
    }

    private void waitForLatents(String p, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (Records.readCommitted(kafka.clientProperties(), p + "latents").size() < count) {
            assertTrue(System.nanoTime() < deadline, "fewer than " + count + " latents records within 120 s");
            Thread.sleep(200);
        }
    }

    private void assertExactlyOnce(String p, Map<String, CameraFrame> truth) {
        Map<String, Long> counts = Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), p + "latents"));
        assertEquals(truth.keySet(), counts.keySet(), "every frame scored: none lost");
        Map<String, Long> doubled = counts.entrySet().stream().filter(e -> e.getValue() != 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (x, y) -> x, HashMap::new));
        assertEquals(Map.of(), doubled, "frames with more than one latents record");
        Records.countByFrameId(Records.readCommitted(kafka.clientProperties(), p + "alerts"))
                .forEach((id, n) -> assertEquals(1L, n, "alerts of " + id));
    }
}
