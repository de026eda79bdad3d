package io.latentwatch.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.JobFlags;
import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.training.ProgressListener;
import io.latentwatch.training.SyntheticCameraModel;
import io.latentwatch.training.TrainingOptions;
import io.latentwatch.training.TrainingProgress;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * latentwatch demo: a real Kafka broker, the scoring job on a local Flink with its web UI, and the synthetic camera
 * with injected anomalies; alerts are printed as they come, and a summary at the end.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Starts a Kafka broker (KRaft, in this process), creates the topics, runs the scoring job on a local Flink with its",
            "web UI, and sends the synthetic camera's frames with injected anomalies. Prints alerts as they come and ends with",
            "a summary: frames, frames/s, latency from capture to alert (p50/p99), alert precision and recall against the",
            "injected truth. Without --model it first trains a small 32x32 grayscale model (about half a minute). Ctrl-C stops",
            "it cleanly (and still prints the summary)."
        })
final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class, description = "how long the camera sends (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--rate", defaultValue = "25", description = "camera frames per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--sources", defaultValue = "2", description = "cameras (keys cam-0, cam-1, ...) (default: ${DEFAULT-VALUE})")
    int sources;

    @Option(names = "--anomaly-rate", defaultValue = "0.05", description = "fraction of frames with an injected anomaly (default: ${DEFAULT-VALUE})")
    double anomalyRate;

    @Option(names = "--anomaly-kinds", split = ",", defaultValue = "missing-part,foreign-object,noise-burst,blank,overexposed",
            description = "kinds to inject (default: ${DEFAULT-VALUE}; scratch and stain are invisible at 32x32)")
    List<String> anomalyKinds;

    @Option(names = "--seed", defaultValue = "1", description = "camera seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--model", paramLabel = "DIR", description = "model directory (default: train a quick model of the camera first)")
    Path model;

    @Option(names = "--train-epochs", defaultValue = "" + SyntheticCameraModel.EPOCHS, description = "epochs of the quick model (default: ${DEFAULT-VALUE})")
    int trainEpochs;

    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI port; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int webUiPort;

    @Option(names = "--kafka-port", defaultValue = "0", description = "broker port on localhost; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--checkpoint-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "with exactly-once, how often results become visible (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @Option(names = "--delivery-guarantee", defaultValue = "exactly-once", description = "exactly-once or at-least-once (default: ${DEFAULT-VALUE})")
    String delivery;

    @Option(names = "--max-batch-size", defaultValue = "16", description = "default: ${DEFAULT-VALUE}")
    int maxBatchSize;

    @Option(names = "--max-batch-delay", defaultValue = "20ms", converter = DurationConverter.class, description = "default: ${DEFAULT-VALUE}")
    Duration maxBatchDelay;

    @Option(names = "--quiet", description = "print only the summary, not each alert")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (rate <= 0 || sources < 1 || duration.isNegative() || duration.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate and --duration must be positive and --sources at least 1");
        }
        AnomalyKind[] kinds;
        try {
            kinds = anomalyKinds.stream().map(AnomalyKind::fromLabel).toArray(AnomalyKind[]::new);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--anomaly-kinds: " + e.getMessage());
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                done.await(60, TimeUnit.SECONDS); // let the demo stop everything and print its summary
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "latentwatch-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        Path tmp = null;
        try {
            Path modelDir = model;
            if (modelDir == null) {
                tmp = Files.createTempDirectory("latentwatch-demo-model-");
                modelDir = tmp;
                TrainingOptions options = options();
                DipVaeConfig shape = options.model();
                out.printf("training a quick model of the camera (%dx%d %s, %d epochs) ...%n", shape.imageSize(), shape.imageSize(),
                        shape.inChannels() == 1 ? "grayscale" : "RGB", options.epochs());
                out.flush();
                ProgressBar bar = new ProgressBar(out, "training");
                ModelMetadata m;
                try {
                    m = SyntheticCameraModel.train(modelDir, seed, options, new ProgressListener() {
                        @Override
                        public void step(TrainingProgress p) {
                            if (stop.get()) {
                                throw new Stopped();
                            }
                            bar.update(p.fractionDone());
                        }
                    });
                } catch (Stopped e) {
                    out.println();
                    out.println("stopped during training");
                    out.flush();
                    return 0;
                }
                bar.finish();
                out.printf(Locale.ROOT, "model trained: threshold %.5f (%.0fth percentile of held-out normal %s)%n", m.threshold(),
                        m.calibration().get("quantile").getAsDouble() * 100, m.scoreName());
            }
            ModelMetadata meta = ModelDirectory.readMetadata(modelDir);
            DipVaeConfig c = meta.config();
            SyntheticCamera camera = SyntheticCamera.builder().seed(seed).imageSize(c.imageSize()).channels(c.inChannels())
                    .anomalyRate(anomalyRate).optAnomalyKinds(kinds).optStartIndex(2_000_000).build();
            return runDemo(out, modelDir, camera, stop);
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is waiting for us
            }
            if (tmp != null) {
                Utils.delete(tmp.toFile());
            }
        }
    }

    /** The quick model's training settings, with the epochs asked for. */
    private TrainingOptions options() {
        try {
            return SyntheticCameraModel.options().optEpochs(trainEpochs).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--train-epochs: " + e.getMessage());
        }
    }

    private int runDemo(PrintWriter out, Path modelDir, SyntheticCamera camera, AtomicBoolean stop) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(kafkaPort).partitions(2).start()) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            out.printf("Kafka broker on %s, topics frames, latents, alerts, frames-dlq%n", kafka.bootstrapServers());
            KafkaClientConfig client = KafkaClientConfig.of(kafka.clientProperties());

            Configuration conf = new Configuration();
            conf.set(ScoringJobOptions.MODEL_PATH, modelDir.toString());
            conf.set(ScoringJobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            conf.set(ScoringJobOptions.CHECKPOINT_INTERVAL, checkpointInterval);
            conf.set(ScoringJobOptions.DELIVERY_GUARANTEE, deliveryGuarantee());
            conf.set(ScoringJobOptions.MAX_BATCH_SIZE, maxBatchSize);
            conf.set(ScoringJobOptions.MAX_BATCH_DELAY, maxBatchDelay);
            conf.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, "latentwatch-demo-" + kafka.port());
            conf.set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
            conf.set(RestOptions.PORT, webUiPort);
            ScoringJob job = ScoringJob.builder().setConfiguration(conf).optKafkaClientConfig(client).build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(1);
            JobClient jobClient = job.start(env);
            out.printf("scoring job %s running on a local Flink%s%n", jobClient.getJobID(),
                    webUiPort == 0 ? "" : ", web UI http://localhost:" + webUiPort);
            out.printf(Locale.ROOT, "camera: %s, %.1f frames/s for %s over %d source(s)%n", camera, rate, duration, sources);
            out.flush();

            Map<String, FrameProducer.Sent> truth = new ConcurrentHashMap<>();
            Reader reader = new Reader(client, truth, out, quiet);
            Thread readerThread = new Thread(reader, "latentwatch-demo-reader");
            readerThread.start();
            long t0 = System.nanoTime();
            long sent;
            try {
                sent = FrameProducer.send(client, "frames", FrameProducer.camera(camera, sources, "png"), rate, 0, duration, stop::get,
                        s -> truth.put(s.frameId(), s));
                double sendSeconds = (System.nanoTime() - t0) / 1e9;
                // wait for the last frames to be scored and committed
                long drainEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (reader.scored.size() < sent && System.nanoTime() < drainEnd && readerThread.isAlive()) {
                    Thread.sleep(100);
                }
                reader.stop.set(true);
                readerThread.join(10_000);
                summary(out, reader, truth, sent, sendSeconds, job);
            } finally {
                reader.stop.set(true);
                try {
                    jobClient.cancel().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // ended already
                }
            }
            if (reader.failure.get() != null) {
                throw new IllegalStateException("reading the results failed: " + reader.failure.get().getMessage(), reader.failure.get());
            }
        }
        out.println("demo stopped");
        out.flush();
        return 0;
    }

    /** --delivery-guarantee read as the job's flag of that name reads it. */
    private ScoringJobOptions.Delivery deliveryGuarantee() {
        try {
            return JobFlags.DELIVERY_GUARANTEE.parse(delivery);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private void summary(PrintWriter out, Reader r, Map<String, FrameProducer.Sent> truth, long sent, double seconds, ScoringJob job) {
        long anomalies = truth.values().stream().filter(FrameProducer.Sent::anomaly).count();
        Set<String> alerted = r.alerted.keySet();
        long truePositives = alerted.stream().filter(id -> truth.containsKey(id) && truth.get(id).anomaly()).count();
        long scoredAnomalies = r.scored.stream().filter(id -> truth.containsKey(id) && truth.get(id).anomaly()).count();
        List<Long> latencies = new ArrayList<>(r.alertLatencies);
        Collections.sort(latencies);
        out.println("== summary ==");
        out.printf(Locale.ROOT, "frames sent: %d in %.1f s (%.1f frames/s)%n", sent, seconds, sent / seconds);
        out.printf(Locale.ROOT, "frames scored: %d (%.1f frames/s), dead letters: %d%n", r.scored.size(), r.scored.size() / seconds, r.deadLetters.get());
        out.printf("injected anomalies: %d sent, %d scored%n", anomalies, scoredAnomalies);
        out.printf(Locale.ROOT, "alerts: %d, %d true, %d false%n", alerted.size(), truePositives, alerted.size() - truePositives);
        out.printf(Locale.ROOT, "alert precision: %s%n", alerted.isEmpty() ? "n/a (no alerts)" : String.format(Locale.ROOT, "%.3f", (double) truePositives / alerted.size()));
        out.printf(Locale.ROOT, "alert recall: %s%n", scoredAnomalies == 0 ? "n/a (no anomalies scored)" : String.format(Locale.ROOT, "%.3f", (double) truePositives / scoredAnomalies));
        out.printf("latency capture -> alert: %s (%s, checkpoints every %s)%n",
                latencies.isEmpty() ? "n/a (no alerts)" : "p50 " + percentile(latencies, 0.5) + " ms, p99 " + percentile(latencies, 0.99) + " ms",
                delivery, checkpointInterval);
        out.flush();
    }

    static long percentile(List<Long> sorted, double q) {
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** Reads latents, alerts and dead letters (read_committed) and prints alerts as they come. */
    private static final class Reader implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        final Set<String> scored = ConcurrentHashMap.newKeySet();
        final Map<String, Long> alerted = new ConcurrentHashMap<>();
        final List<Long> alertLatencies = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong deadLetters = new AtomicLong();
        private final KafkaClientConfig client;
        private final Map<String, FrameProducer.Sent> truth;
        private final PrintWriter out;
        private final boolean quiet;

        Reader(KafkaClientConfig client, Map<String, FrameProducer.Sent> truth, PrintWriter out, boolean quiet) {
            this.client = client;
            this.truth = truth;
            this.out = out;
            this.quiet = quiet;
        }

        @Override
        public void run() {
            Map<String, Object> p = client.toMap();
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "latentwatch-demo-reader");
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
                List<TopicPartition> tps = new ArrayList<>();
                for (String topic : List.of("latents", "alerts", "frames-dlq")) {
                    consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
                }
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.currentTimeMillis();
                        if (rec.topic().equals("frames-dlq")) {
                            deadLetters.incrementAndGet();
                            continue;
                        }
                        JsonObject j = JsonParser.parseString(new String(rec.value(), StandardCharsets.UTF_8)).getAsJsonObject();
                        String id = j.get("frame_id").getAsString();
                        if (rec.topic().equals("latents")) {
                            scored.add(id);
                        } else if (alerted.putIfAbsent(id, now) == null) {
                            long latency = now - j.get("captured_at").getAsLong();
                            alertLatencies.add(latency);
                            if (!quiet) {
                                FrameProducer.Sent s = truth.get(id);
                                out.printf(Locale.ROOT, "ALERT %-6s %-16s %-6s score %.5f = %4.1fx threshold, %5d ms after capture, truth: %s%n",
                                        j.get("source").getAsString(), id, j.get("severity").getAsString(), number(j, "score"),
                                        number(j, "score") / number(j, "threshold"), latency,
                                        s == null ? "?" : s.label());
                                out.flush();
                            }
                        }
                    }
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }
    }

    /** Ctrl-C during the quick model's training: thrown from the progress listener, it ends the trainer's loop. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("stopped", null, false, false);
        }
    }

    /** A one-line progress bar on the command's output. */
    static final class ProgressBar {
        private final PrintWriter out;
        private final String label;
        private final long t0 = System.nanoTime();
        private int shown = -1;

        ProgressBar(PrintWriter out, String label) {
            this.out = out;
            this.label = label;
        }

        void update(double fraction) {
            int percent = (int) Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
            if (percent == shown) {
                return;
            }
            shown = percent;
            int width = 30;
            int filled = percent * width / 100;
            out.printf(Locale.ROOT, "\r%s [%s%s] %3d%% %5.1f s", label, "#".repeat(filled), ".".repeat(width - filled), percent,
                    (System.nanoTime() - t0) / 1e9);
            out.flush();
        }

        void finish() {
            update(1);
            out.println();
            out.flush();
        }
    }

    /** A number field of a record; NaN where it is null (a score that was not finite, a source without a threshold). */
    private static double number(JsonObject j, String field) {
        var e = j.get(field);
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }
}
