package io.latentwatch.deploy;

import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** What the tests of the standalone cluster share: the cluster jar, a frame stream, waiting with the logs at hand. */
final class ClusterRuns {

    /** The build's target folder: the cluster jar and flink-lib/. */
    static final Path TARGET = DeployFiles.root().resolve("target");

    private ClusterRuns() {}

    /** The cluster jar that {@code mvn package} builds. */
    static Path clusterJar() throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            return files.filter(p -> p.getFileName().toString().matches("latentwatch-.*-cluster\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no cluster jar in " + TARGET + " (mvn package builds it)"));
        }
    }

    /**
     * {@code total} PNG frames {@code first, first + 1, ...} of the camera, {@code perSecond} a second, the sources in
     * turn, ids SOURCE-i, through the project's producer.
     */
    static void produce(EmbeddedKafka kafka, SyntheticCamera camera, List<String> sources, long first, int total, int perSecond,
            AtomicInteger sent) {
        try {
            FrameProducer.send(KafkaClientConfig.of(kafka.clientProperties()), "frames", i -> {
                String source = sources.get((int) (i % sources.size()));
                return new FrameProducer.Item(source, source + "-" + i, camera.frame(first + i).encodePng(), "", false);
            }, perSecond, total, null, () -> false, f -> sent.incrementAndGet());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** Polls until the check passes; past the timeout fails with the tails of the named processes' logs. */
    static void waitUntil(Check check, Duration timeout, String what, StandaloneFlinkCluster flink, String... logs) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                StringBuilder message = new StringBuilder("no " + what + " within " + timeout);
                for (String process : logs) {
                    message.append("; ").append(process).append(" log:\n").append(flink.tail(process));
                }
                throw new AssertionError(message.toString());
            }
            Thread.sleep(500);
        }
    }

    /** The entries of a count per frame that are not exactly one. */
    static Map<String, Integer> notOnce(Map<String, Integer> counts) {
        Map<String, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> {
            if (v != 1) {
                out.put(k, v);
            }
        });
        return out;
    }
}
