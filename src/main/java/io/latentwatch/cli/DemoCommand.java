package io.latentwatch.cli;

import io.latentwatch.console.AlertConsole;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.JobFlag;
import io.latentwatch.pipeline.JobFlags;
import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.training.ProgressListener;
import io.latentwatch.training.SyntheticCameraModel;
import io.latentwatch.training.TrainingOptions;
import io.latentwatch.training.TrainingProgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * latentwatch demo: the whole product on one machine. It trains a model of the synthetic camera with the real
 * trainer, starts a Kafka broker, the scoring job with fine-tuning on a local Flink (web UI), and the alert console;
 * the camera's lighting drifts while it sends frames with all seven injected defect kinds. Alerts (with their
 * regions) and model decisions are printed as they happen, and a summary at the end.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Trains a model of the synthetic camera (64x64 RGB, about a minute on 2 cores) unless --model is given, starts a Kafka",
            "broker (KRaft, in this process) with the job's topics, the scoring job with fine-tuning on a local Flink (web UI) and",
            "the alert console, and sends the camera's frames: a slow lighting drift and all seven injected defect kinds. Prints each",
            "alert with its region and each model decision as it happens, and ends with a summary: frames/s, precision and recall",
            "overall and per kind, false alarms per minute of each model version, latency capture -> alert, models accepted and",
            "rejected. Ctrl-C stops it cleanly (and still prints the summary)."
        })
final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class, description = "how long the camera sends (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--rate", defaultValue = "25", description = "camera frames per second, all sources together (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--sources", defaultValue = "2", description = "cameras (keys cam-0, cam-1, ...) (default: ${DEFAULT-VALUE})")
    int sources;

    @Option(names = "--anomaly-rate", defaultValue = "0.05", description = "fraction of frames with an injected anomaly (default: ${DEFAULT-VALUE})")
    double anomalyRate;

    @Option(names = "--anomaly-kinds", split = ",", defaultValue = ALL_KINDS, description = "kinds to inject (default: all seven)")
    List<String> anomalyKinds;

    @Option(names = "--lighting-drift", defaultValue = "0.01",
            description = "8-bit levels the scene brightens per frame: fine-tuning follows it (default: ${DEFAULT-VALUE})")
    double lightingDrift;

    @Option(names = "--seed", defaultValue = "1", description = "camera seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--max-rotation", defaultValue = "" + SyntheticCameraModel.DEMO_MAX_ROTATION,
            description = "degrees either way a part may lie turned: a fixture holds it; 180 = loose, any angle (default: ${DEFAULT-VALUE})")
    double maxRotation;

    @Option(names = "--model", paramLabel = "DIR", description = "model directory (default: train one of the camera first)")
    Path model;

    @Option(names = "--train-epochs", defaultValue = "" + SyntheticCameraModel.DEMO_EPOCHS, description = "epochs of the model trained first (default: ${DEFAULT-VALUE})")
    int trainEpochs;

    @Option(names = "--fine-tune", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "fine-tune on sampled normal frames and switch the scorers to accepted versions (default: ${DEFAULT-VALUE})")
    boolean fineTune;

    @Option(names = "--fine-tune-frames", defaultValue = "200", description = "normal frames sampled between fine-tuning rounds (default: ${DEFAULT-VALUE})")
    int fineTuneFrames;

    @Option(names = "--console", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "start the alert console (default: ${DEFAULT-VALUE})")
    boolean console;

    @Option(names = "--console-port", defaultValue = "8090", description = "the console's port; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int consolePort;

    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI port; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int webUiPort;

    @Option(names = "--kafka-port", defaultValue = "0", description = "broker port on localhost; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--checkpoint-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "how often the exactly-once topics' results become visible (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @Option(names = "--delivery-guarantee", defaultValue = "exactly-once", description = "latents, dead letters, model updates: exactly-once or at-least-once (default: ${DEFAULT-VALUE})")
    String delivery;

    @Option(names = "--alerts-delivery-guarantee", defaultValue = "at-least-once",
            description = "alerts: at-least-once (at once; repeats carry the same frame_id) or exactly-once (with the checkpoint) (default: ${DEFAULT-VALUE})")
    String alertsDelivery;

    @Option(names = "--max-batch-size", defaultValue = "16", description = "default: ${DEFAULT-VALUE}")
    int maxBatchSize;

    // at 25 frames/s a frame comes every 40 ms: waiting longer for a fuller batch only delays the alert
    @Option(names = "--max-batch-delay", defaultValue = "5ms", converter = DurationConverter.class, description = "default: ${DEFAULT-VALUE}")
    Duration maxBatchDelay;

    @Option(names = "--job-threads", defaultValue = "1",
            description = "CPU threads of each PyTorch operation of the job's scorer and fine-tuner (training uses the engine's default) (default: ${DEFAULT-VALUE})")
    int jobThreads;

    @Option(names = "--quiet", description = "print only the summary, not each alert and decision")
    boolean quiet;

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** How long the demo waits for the warm-up alert: a model that does not flag an over-exposed frame still gets its demo. */
    private static final Duration ALERT_WARM_UP = Duration.ofSeconds(10);
    /** The fine-tuner's reference set: its first normal samples, stored for the gate. */
    private static final int REFERENCE_FRAMES = 100;
    /**
     * Normal frames sent at the camera's rate before it starts (5 s at 25 frames/s): past the fine-tuner's start (it
     * stores its reference set from the first {@value #REFERENCE_FRAMES}), which took the camera's first alerts to
     * 140–200 ms.
     */
    private static final int WARM_UP_FRAMES = REFERENCE_FRAMES + 25;

    private static final String ALL_KINDS = "scratch,stain,missing-part,foreign-object,noise-burst,blank,overexposed";

    @Override
    public Integer call() throws Exception {
        if (rate <= 0 || sources < 1 || duration.isNegative() || duration.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate and --duration must be positive and --sources at least 1");
        }
        if (fineTuneFrames < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--fine-tune-frames must be at least 1, got " + fineTuneFrames);
        }
        if (!(maxRotation >= 0 && maxRotation <= 180)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-rotation must be between 0 and 180 degrees, got " + maxRotation);
        }
        if (jobThreads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--job-threads must be at least 1, got " + jobThreads);
        }
        if (consolePort < 0 || consolePort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--console-port must be in 0..65535 (0 = a free port), got " + consolePort);
        }
        AnomalyKind[] kinds;
        try {
            kinds = anomalyKinds.stream().map(AnomalyKind::fromLabel).toArray(AnomalyKind[]::new);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--anomaly-kinds: " + e.getMessage());
        }
        ScoringJobOptions.Delivery latentsGuarantee = guarantee(JobFlags.DELIVERY_GUARANTEE, delivery);
        ScoringJobOptions.Delivery alertsGuarantee = guarantee(JobFlags.ALERTS_DELIVERY_GUARANTEE, alertsDelivery);
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
        Path tmp = Files.createTempDirectory("latentwatch-demo-");
        try {
            Path modelDir = model;
            if (modelDir == null) {
                modelDir = tmp.resolve("model");
                if (!train(out, modelDir, stop)) {
                    return 0;
                }
            }
            // at the demo's load the scorer works on batches of one or two frames, as fast on one thread as on two, and
            // the fine-tuner's rounds take the other core instead of every core the scorer is waiting for
            Devices.setIntraOpThreads(jobThreads);
            ModelMetadata meta = ModelDirectory.readMetadata(modelDir);
            DipVaeConfig c = meta.config();
            SyntheticCamera camera = camera().imageSize(c.imageSize()).channels(c.inChannels())
                    .anomalyRate(anomalyRate).optAnomalyKinds(kinds).optLightingDrift(lightingDrift).optStartIndex(2_000_000).build();
            return runDemo(out, modelDir, meta, tmp.resolve("registry"), camera, latentsGuarantee, alertsGuarantee, stop);
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is waiting for us
            }
            Utils.delete(tmp.toFile());
        }
    }

    /** The scene of the demo's line: its seed and how the parts lie; the rest is set where it is used. */
    private SyntheticCamera.Builder camera() {
        return SyntheticCamera.builder().seed(seed).optMaxRotation(maxRotation);
    }

    /** Trains the demo's model of the camera with the real trainer; false if Ctrl-C stopped it. */
    private boolean train(PrintWriter out, Path modelDir, AtomicBoolean stop) throws Exception {
        TrainingOptions options;
        try {
            options = SyntheticCameraModel.demoOptions().optEpochs(trainEpochs).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--train-epochs: " + e.getMessage());
        }
        DipVaeConfig shape = options.model();
        out.printf(Locale.ROOT, "training a model of the camera (%dx%d %s, parts within ±%s°, %d epochs, score %s) ...%n", shape.imageSize(),
                shape.imageSize(), shape.inChannels() == 1 ? "grayscale" : "RGB", new DecimalFormat("0.#").format(maxRotation),
                options.epochs(), options.scoreName());
        out.flush();
        ProgressBar bar = new ProgressBar(out, "training");
        ModelMetadata m;
        try {
            m = SyntheticCameraModel.train(modelDir, camera(), options, SyntheticCameraModel.DEMO_VALIDATION_FRAMES, new ProgressListener() {
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
            return false;
        }
        bar.finish();
        out.printf(Locale.ROOT, "model trained: threshold %.4f (%.1fth percentile of held-out normal %s)%n", m.threshold(),
                m.calibration().get("quantile").getAsDouble() * 100, m.scoreName());
        return true;
    }

    private int runDemo(PrintWriter out, Path modelDir, ModelMetadata meta, Path registry, SyntheticCamera camera,
            ScoringJobOptions.Delivery latentsGuarantee, ScoringJobOptions.Delivery alertsGuarantee, AtomicBoolean stop) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(kafkaPort).partitions(2).start()) {
            kafka.createTopics(DemoReader.TOPICS.toArray(String[]::new));
            out.printf("Kafka broker on %s, topics %s%n", kafka.bootstrapServers(), String.join(", ", DemoReader.TOPICS));
            KafkaClientConfig client = KafkaClientConfig.of(kafka.clientProperties());

            // before the job: a console that cannot listen stops the demo with nothing else to undo but the broker
            try (AlertConsole alertConsole = console ? startConsole(client) : null) {
                if (alertConsole != null) {
                    out.printf("alert console: %s%n", alertConsole.url());
                    out.flush();
                }
                Configuration conf = jobConfiguration(kafka, modelDir, registry, latentsGuarantee, alertsGuarantee);
                ScoringJob job = ScoringJob.builder().setConfiguration(conf).optKafkaClientConfig(client).build();
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ScoringJob.localEnvironment(conf));
                env.setParallelism(1);
                JobClient jobClient = job.start(env);
                out.printf("scoring job %s running on a local Flink%s%s%n", jobClient.getJobID(),
                        webUiPort == 0 ? "" : ", web UI http://localhost:" + webUiPort,
                        fineTune ? ", fine-tuning every " + fineTuneFrames + " sampled normal frames" : "");
                out.printf(Locale.ROOT, "camera: %.1f frames/s for %s over %d source(s), %.0f %% anomalies (%s), lighting +%.3f levels/frame%n",
                        rate, TimeUtils.formatWithHighestUnit(duration), sources, anomalyRate * 100, String.join(",", anomalyKinds), lightingDrift);
                out.flush();

                Map<String, FrameProducer.Sent> truth = new ConcurrentHashMap<>();
                DemoReader reader = new DemoReader(client, truth, out, quiet);
                Thread readerThread = new Thread(reader, "latentwatch-demo-reader");
                readerThread.start();
                try {
                    if (!warmUp(out, client, camera, reader, stop)) {
                        out.println("the job scored no frame within " + READY_TIMEOUT.toSeconds() + " s; stopping");
                        return 1;
                    }
                    long t0 = System.nanoTime();
                    long sent = FrameProducer.send(client, "frames", FrameProducer.camera(camera, sources, "png"), rate, 0, duration, stop::get,
                            s -> truth.put(s.frameId(), s));
                    double sendSeconds = (System.nanoTime() - t0) / 1e9;
                    // wait for the last frames to be scored and committed
                    long drainEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (reader.scored.size() < sent && System.nanoTime() < drainEnd && readerThread.isAlive()) {
                        Thread.sleep(100);
                    }
                    reader.stop.set(true);
                    readerThread.join(10_000);
                    double calibrated = 1 - meta.calibration().get("quantile").getAsDouble();
                    DemoSummary.print(out, reader, truth, sent, sendSeconds, calibrated, "alerts " + label(alertsGuarantee) + ", latents "
                            + label(latentsGuarantee) + " with checkpoints every " + TimeUtils.formatWithHighestUnit(checkpointInterval));
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
        }
        out.println("demo stopped");
        out.flush();
        return 0;
    }

    private AlertConsole startConsole(KafkaClientConfig client) throws IOException {
        try {
            return AlertConsole.builder().setKafkaClientConfig(client).optPort(consolePort).build().start();
        } catch (BindException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--console-port: " + e.getMessage()
                    + "; choose another port, 0 for a free one, or --no-console");
        }
    }

    /**
     * Sends one normal frame a second until the job has scored one: the scorers load DJL and the model first, and
     * frames sent before would measure that, not the job's latency. Then {@value #WARM_UP_FRAMES} normal frames at the
     * camera's rate and one over-exposed frame, and waits (a few seconds at most) for its alert: the first alert loads
     * the map picture's PNG writer and starts the alerts producer, 100–150 ms that the camera's first alert would
     * otherwise carry.
     */
    private boolean warmUp(PrintWriter out, KafkaClientConfig client, SyntheticCamera camera, DemoReader reader, AtomicBoolean stop) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + READY_TIMEOUT.toNanos();
        byte[] frame = camera.frame(camera.nextIndex(), AnomalyKind.NONE).encodePng();
        FrameProducer.Frames warmUp = i -> new FrameProducer.Item("cam-0", DemoReader.WARM_UP + i, frame, "normal", false);
        for (long n = 0; !stop.get() && System.nanoTime() < deadline; n++) {
            long id = n;
            FrameProducer.send(client, "frames", j -> warmUp.frame(id), 0, 1, null, stop::get, s -> { });
            if (reader.ready.await(1, TimeUnit.SECONDS)) {
                out.printf(Locale.ROOT, "the job scores: first frame scored %.1f s after it started%n", (System.nanoTime() - t0) / 1e9);
                out.flush();
                // a few seconds of the camera's normal frames at its rate: the scoring path's first batches are slow
                // (the JIT compiles it) and the fine-tuner starts, and the camera's first alerts would carry that
                long first = camera.nextIndex() - WARM_UP_FRAMES;
                FrameProducer.send(client, "frames", i -> {
                    String source = "cam-" + (i % sources);
                    return new FrameProducer.Item(source, DemoReader.WARM_UP + source + "-" + (first + i),
                            camera.frame(first + i, AnomalyKind.NONE).encodePng(), "normal", false);
                }, rate, WARM_UP_FRAMES, null, stop::get, s -> { });
                byte[] bright = camera.frame(camera.nextIndex(), AnomalyKind.OVEREXPOSED).encodePng();
                FrameProducer.send(client, "frames", j -> new FrameProducer.Item("cam-0", DemoReader.WARM_UP + "alert", bright, "overexposed", true),
                        0, 1, null, stop::get, s -> { });
                reader.alerting.await(ALERT_WARM_UP.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            }
        }
        return false;
    }

    private Configuration jobConfiguration(EmbeddedKafka kafka, Path modelDir, Path registry, ScoringJobOptions.Delivery latentsGuarantee,
            ScoringJobOptions.Delivery alertsGuarantee) {
        Configuration conf = new Configuration();
        conf.set(ScoringJobOptions.MODEL_PATH, modelDir.toString());
        conf.set(ScoringJobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        conf.set(ScoringJobOptions.CHECKPOINT_INTERVAL, checkpointInterval);
        conf.set(ScoringJobOptions.DELIVERY_GUARANTEE, latentsGuarantee);
        conf.set(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE, alertsGuarantee);
        conf.set(ScoringJobOptions.MAX_BATCH_SIZE, maxBatchSize);
        conf.set(ScoringJobOptions.MAX_BATCH_DELAY, maxBatchDelay);
        conf.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, "latentwatch-demo-" + kafka.port());
        conf.set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
        conf.set(ScoringJobOptions.ALERT_MAP_PNG, true);
        conf.set(RestOptions.PORT, webUiPort);
        if (fineTune) {
            // rounds every few seconds at the demo's rate: every scored frame is a sample, a short round of Adam steps,
            // and a gate that wants the held-out loss no worse than 10 % above the serving model's
            conf.set(ScoringJobOptions.TUNING_ENABLED, true);
            conf.set(ScoringJobOptions.TUNING_REGISTRY, registry.toString());
            conf.set(ScoringJobOptions.TUNING_SAMPLE_RATE, 1.0);
            conf.set(ScoringJobOptions.TUNING_REFERENCE_FRAMES, REFERENCE_FRAMES);
            conf.set(ScoringJobOptions.TUNING_FRAMES, fineTuneFrames);
            conf.set(ScoringJobOptions.TUNING_STEPS, 30);
            conf.set(ScoringJobOptions.TUNING_BATCH_SIZE, 32);
            conf.set(ScoringJobOptions.TUNING_LEARNING_RATE, 1e-4);
            conf.set(ScoringJobOptions.TUNING_RESERVOIR_CAPACITY, 300);
            conf.set(ScoringJobOptions.TUNING_HELD_OUT_CAPACITY, 200);
            conf.set(ScoringJobOptions.TUNING_HELD_OUT_EVERY, 2);
            conf.set(ScoringJobOptions.TUNING_HORIZON, 600L);
            conf.set(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT, 40);
            conf.set(ScoringJobOptions.TUNING_GATE_TOLERANCE, 0.1);
            conf.set(ScoringJobOptions.TUNING_GATE_REFERENCE_TOLERANCE, 0.3);
        }
        return conf;
    }

    /** A guarantee flag read as the job's flag of that name reads it. */
    private ScoringJobOptions.Delivery guarantee(JobFlag<ScoringJobOptions.Delivery> flag, String value) {
        try {
            return flag.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static String label(ScoringJobOptions.Delivery d) {
        return d.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Ctrl-C during training: thrown from the progress listener, it ends the trainer's loop. */
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

}
