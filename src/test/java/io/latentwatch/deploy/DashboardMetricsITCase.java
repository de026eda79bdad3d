package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.TestModels;
import io.latentwatch.ThreadLeaks;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.TestJobs;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.operators.DeadLetterReason;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric that the Grafana dashboard (deploy/grafana/dashboards/latentwatch.json) queries is one that the
 * running job exposes, under the name Flink's own Prometheus reporter gives it: the job with fine-tuning on a
 * MiniCluster whose metrics go to a real PrometheusReporter, good frames and a corrupt one from a real broker, and
 * the reporter's /metrics scraped over HTTP.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DashboardMetricsITCase {

    private static final int PROMETHEUS_PORT = freePort();
    private static final String PREFIX = "dashboard-metrics-";
    private static final int GOOD_FRAMES = 12;
    private static final String METRIC = "flink_taskmanager_job_task_operator_latentwatch_";

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(Configuration.fromMap(Map.of(
                    "metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                    "metrics.reporter.prom.port", String.valueOf(PROMETHEUS_PORT))))
            .build());

    @TempDir Path tmp;

    @Test
    void everyMetricTheDashboardQueriesIsExposedByTheRunningJob() throws Exception {
        Set<String> wanted = GrafanaDashboard.read(GrafanaDashboard.FILE).metricNames();
        assertTrue(wanted.size() >= 10, "the dashboard's metrics: " + wanted);
        TestModels.detector(); // trained once per JVM, before the thread snapshot
        Set<Thread> before = ThreadLeaks.snapshot();
        PrometheusScrape scrape;
        // the broker lives only for this one test, so that the leak check below covers its threads too
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(1).start()) {
            scrape = runAndScrape(kafka, wanted);
        }
        System.out.println("dashboard metrics (" + wanted.size() + "): " + wanted);
        assertEquals(List.of(), scrape.missing(wanted), "metrics the dashboard queries that the job does not expose; it exposes "
                + scrape.names().stream().filter(n -> n.contains("latentwatch")).collect(Collectors.toList()));
        assertEquals(GOOD_FRAMES, scrape.sum(METRIC + "framesScored", Map.of()), "frames scored");
        // the labels the dashboard selects by: its $job variable (the reporter writes label values in [a-zA-Z0-9:_],
        // every other character as _), the histograms' quantiles
        String jobName = ScoringJob.NAME.replaceAll("[^a-zA-Z0-9:_]", "_");
        assertEquals(GOOD_FRAMES + 1, scrape.sum(METRIC + "framesIn", Map.of("job_name", jobName)), "framesIn of job_name " + jobName);
        for (String quantile : List.of("0.5", "0.99")) {
            assertTrue(scrape.sum(METRIC + "batchSize", Map.of("quantile", quantile)) > 0, "batchSize quantile " + quantile);
        }
        assertEquals(1.0, scrape.sum(METRIC + "reason_framesDeadLettered", Map.of("reason", DeadLetterReason.UNDECODABLE.label())),
                "the corrupt frame counted under its reason");

        // the check can fail: a name the job does not have is reported
        Set<String> withATypo = new LinkedHashSet<>(wanted);
        withATypo.add(METRIC + "framesScord");
        assertEquals(List.of(METRIC + "framesScord"), scrape.missing(withATypo));

        // the job's, the broker's and the clients' threads; the MiniCluster's own outlive the test
        ThreadLeaks.assertNoNewThreads(before, Duration.ofSeconds(15), t -> t.getName().startsWith("latentwatch-")
                || t.getName().contains(PREFIX) || t.getName().startsWith("kafka") || t.getName().startsWith("Keep-Alive"));
    }

    /** The job with fine-tuning on, good frames and a corrupt one, and the scrape once they are counted. */
    private PrometheusScrape runAndScrape(EmbeddedKafka kafka, Set<String> wanted) throws Exception {
        kafka.createTopics(PREFIX + "frames", PREFIX + "latents", PREFIX + "alerts", PREFIX + "dlq", PREFIX + "updates");
        // fine-tuning on, so that the fine-tuner and the model-switching scorer register their metrics; no round is due
        JobClient client = TestJobs.onTopics(kafka, PREFIX)
                .set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, PREFIX + "tx")
                .set(ScoringJobOptions.SCORING_PARALLELISM, 1)
                .set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(5))
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(ScoringJobOptions.TUNING_ENABLED, true)
                .set(ScoringJobOptions.TUNING_REGISTRY, tmp.resolve("registry").toString())
                .set(ScoringJobOptions.TUNING_FRAMES, 1_000_000)
                .set(ScoringJobOptions.TUNING_INTERVAL, Duration.ofHours(1))
                .set(ScoringJobOptions.TUNING_DEVICE, "cpu")
                .build()
                .start(StreamExecutionEnvironment.getExecutionEnvironment(new Configuration()).setParallelism(1));
        try {
            sendFramesAndOneCorrupt(kafka);
            return scrapeUntilCounted(wanted);
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
            // cancelled, not yet ended: the sources' enumerators close their admin clients while the broker is still up
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!client.getJobStatus().get().isGloballyTerminalState() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }
    }

    private static void sendFramesAndOneCorrupt(EmbeddedKafka kafka) throws InterruptedException {
        SyntheticCamera camera = TestModels.camera().build();
        byte[] corrupt = "not an image".getBytes(StandardCharsets.UTF_8);
        FrameProducer.send(KafkaClientConfig.of(kafka.clientProperties()), PREFIX + "frames",
                i -> new FrameProducer.Item("cam-0", "f-" + i, i == GOOD_FRAMES ? corrupt : camera.frame(i).encodePng(), "", false),
                1000, GOOD_FRAMES + 1, null, () -> false, f -> {});
    }

    /**
     * Scrapes until the reporter shows every good frame scored, the corrupt one dead-lettered and every name that is
     * {@code wanted}; past the deadline, the last scrape (the assertions then say what it lacks).
     */
    private static PrometheusScrape scrapeUntilCounted(Set<String> wanted) throws Exception {
        String url = "http://localhost:" + PROMETHEUS_PORT + "/metrics";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            PrometheusScrape scrape = PrometheusScrape.fetch(url);
            boolean counted = scrape.sum(METRIC + "framesScored", Map.of()) >= GOOD_FRAMES && scrape.sum(METRIC + "framesDeadLettered", Map.of()) >= 1;
            if (counted && scrape.missing(wanted).isEmpty() || System.nanoTime() > deadline) {
                return scrape;
            }
            Thread.sleep(500);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the Prometheus reporter", e);
        }
    }
}
