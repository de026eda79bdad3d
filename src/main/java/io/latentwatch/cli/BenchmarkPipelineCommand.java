package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.evaluation.CpuBreakdown;
import io.latentwatch.evaluation.JitWork;
import io.latentwatch.evaluation.ModelBenchmark;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.kafka.ValueFormat;
import io.latentwatch.scoring.BatchScorer;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
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

/** latentwatch benchmark pipeline */
@Command(
        name = "pipeline",
        mixinStandardHelpOptions = true,
        description = {
            "End-to-end frames/s of the scoring job through a real Kafka broker and a local Flink (frames topic pre-filled with",
            "PNG camera frames, exactly-once sinks, parallelism 1) at several max batch sizes and for JSON and Avro latents, next",
            "to the raw model rate (BatchScorer on the same frames, already decoded) measured in the same run, each with the",
            "job's CPU time per frame by thread and its Java samples by stage (JDK Flight Recorder); then the latency from capture to the",
            "latents record at half the best end-to-end rate (at-least-once sinks, so records are visible when written); then",
            "the end-to-end rate at the best batch size with fine-tuning rounds running the whole time, next to the same job",
            "without fine-tuning, both in this run."
        })
final class BenchmarkPipelineCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "model directory (default: PyTorch-VAE's default config, 3x64x64, latent 128, random weights)")
    Path model;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8,32", description = "max batch sizes (default: ${DEFAULT-VALUE})")
    int[] batchSizes;

    @Option(names = "--frames", defaultValue = "1500", description = "frames per end-to-end run (default: ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--seconds", defaultValue = "3", description = "measuring time of each raw model rate (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--latency-seconds", defaultValue = "15", description = "length of the latency run; 0 skips it (default: ${DEFAULT-VALUE})")
    double latencySeconds;

    @Option(names = "--max-batch-delay", defaultValue = "20ms", converter = DurationConverter.class,
            description = "max batch delay of the latency run (default: ${DEFAULT-VALUE})")
    Duration maxBatchDelay;

    @Option(names = "--fine-tune-steps", defaultValue = "20",
            description = "Adam steps per round in the fine-tuning comparison; 0 skips it (default: ${DEFAULT-VALUE})")
    int fineTuneSteps;

    @Option(names = "--warm-up-runs", defaultValue = "6",
            description = "unreported runs of the job over the frames first, each value format in turn, until the JIT compilers use under "
                    + "10 % of a run's CPU, at most this many; 0 measures a cold JVM (default: ${DEFAULT-VALUE})")
    int warmUpRuns;

    @Option(names = "--value-formats", split = ",", defaultValue = "json,avro", converter = ValueFormatConverter.class,
            description = "latents and alerts value formats, each an end-to-end run per batch size (default: ${DEFAULT-VALUE})")
    List<ValueFormat> valueFormats;

    @Option(names = "--breakdown", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "after each end-to-end run, its CPU time per frame by thread and its Java samples by stage (default: ${DEFAULT-VALUE})")
    boolean breakdown;

    @Option(names = "--json", description = "also write every row as a JSON line to this file")
    Path json;

    @Override
    public Integer call() throws Exception {
        for (int b : batchSizes) {
            if (b < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--batch-sizes must be positive, got " + b);
            }
        }
        if (frames < 10 || seconds <= 0 || latencySeconds < 0 || fineTuneSteps < 0 || warmUpRuns < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--frames must be at least 10, --seconds positive, --latency-seconds, --fine-tune-steps and --warm-up-runs >= 0");
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        Gson gson = new Gson();
        Path tmp = Files.createTempDirectory("latentwatch-bench-pipeline-");
        try (Writer jsonSink = json == null ? null : Files.newBufferedWriter(json, StandardCharsets.UTF_8)) {
            Path modelDir = model;
            if (modelDir == null) {
                modelDir = tmp.resolve("model");
                DipVaeConfig c = DipVaeConfig.defaults();
                Engine.getInstance().setRandomSeed(1);
                try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                    ModelDirectory.write(modelDir, new DipVae(c).initialize(m), ModelMetadata.initial(c, null));
                }
            }
            DipVaeConfig config = ModelDirectory.readMetadata(modelDir).config();
            SyntheticCamera camera = SyntheticCamera.builder().seed(5).imageSize(config.imageSize()).channels(config.inChannels())
                    .anomalyRate(0.05).build();
            int distinct = 200;
            List<CameraFrame> shots = new ArrayList<>();
            List<byte[]> pngs = new ArrayList<>();
            for (int i = 0; i < distinct; i++) {
                shots.add(camera.frame(i));
                pngs.add(shots.get(i).encodePng());
            }
            out.printf("# %s%n# model %s, %.4f GFLOP per frame; frames %dx%d %s PNG, about %d bytes each%n",
                    ModelBenchmark.environment(Device.cpu()), config, config.flopsPerFrame() / 1e9, config.imageSize(), config.imageSize(),
                    config.inChannels() == 1 ? "gray" : "RGB", pngs.stream().mapToInt(b -> b.length).sum() / distinct);
            out.flush();

            // the raw model rate: BatchScorer alone on decoded frames, in this JVM, before anything else runs
            Map<Integer, Double> raw = new LinkedHashMap<>();
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                ModelDirectory.Loaded loaded = ModelDirectory.read(modelDir, m);
                try (BatchScorer scorer = new BatchScorer(loaded.model, Device.cpu(), DataType.FLOAT32, "mse")) {
                    for (int b : batchSizes) {
                        float[] pixels = new float[b * config.frameValues()];
                        for (int i = 0; i < b; i++) {
                            System.arraycopy(shots.get(i % distinct).normalise(config.inChannels(), config.imageSize()), 0, pixels,
                                    i * config.frameValues(), config.frameValues());
                        }
                        scorer.score(pixels, b); // warm-up
                        long n = 0;
                        long t0 = System.nanoTime();
                        while (System.nanoTime() - t0 < seconds * 1e9) {
                            scorer.score(pixels, b);
                            n += b;
                        }
                        raw.put(b, n / ((System.nanoTime() - t0) / 1e9));
                    }
                }
            }

            try (EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(1).start()) {
                KafkaClientConfig client = KafkaClientConfig.of(kafka.clientProperties());
                kafka.createTopics("bench-frames");
                FrameProducer.send(client, "bench-frames", i -> {
                    String source = "cam-" + (i % 4);
                    return new FrameProducer.Item(source, source + "-" + i, pngs.get((int) (i % distinct)), "", false);
                }, 0, frames, null, () -> false, s -> { });

                warmUp(out, gson, jsonSink, kafka, client, modelDir);
                double best = 0;
                int bestBatch = batchSizes[0];
                for (int b : batchSizes) {
                    for (ValueFormat format : valueFormats) {
                        String suffix = b + "-" + format.name().toLowerCase(Locale.ROOT);
                        String latents = "bench-latents-" + suffix;
                        kafka.createTopics(latents, "bench-alerts-" + suffix, "bench-dlq-" + suffix);
                        ScoringJob job = job(modelDir, client, b, Duration.ofMillis(50), "exactly-once", suffix)
                                .set(ScoringJobOptions.VALUE_FORMAT, format)
                                .optStoppingOffsets(OffsetsInitializer.latest()).build();
                        long t0 = System.nanoTime();
                        // the breakdown starts with the first scored frame: the job's start-up (class loading, JIT
                        // warm-up, the model's load) is no cost per frame, and the rate leaves it out too
                        BreakdownWindow window = breakdown ? BreakdownWindow.onFirstRecord(client, latents) : null;
                        runToEnd(job);
                        CpuBreakdown.Result used = window == null ? null : window.stop();
                        double wall = (System.nanoTime() - t0) / 1e9;
                        List<Long> times = new ArrayList<>();
                        read(client, latents, frames, Duration.ofSeconds(60), (r, now) -> times.add(r.timestamp()));
                        Collections.sort(times);
                        double rate = times.size() < 2 ? 0 : (times.size() - 1) / ((times.get(times.size() - 1) - times.get(0)) / 1e3);
                        if (rate > best) {
                            best = rate;
                            bestBatch = b;
                        }
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("figure", "end-to-end");
                        row.put("max_batch_size", b);
                        row.put("value_format", format.name().toLowerCase(Locale.ROOT));
                        row.put("frames", times.size());
                        row.put("e2e_frames_per_s", round(rate));
                        row.put("raw_model_frames_per_s", round(raw.get(b)));
                        row.put("e2e_over_raw", round(rate / raw.get(b)));
                        row.put("job_wall_s_incl_startup", round(wall));
                        BenchmarkModelCommand.print(out, gson, jsonSink, row);
                        if (used != null) {
                            printBreakdown(out, gson, jsonSink, b, format, times.size() - window.recordsBefore(), used);
                        }
                    }
                }

                if (latencySeconds > 0 && best > 0) {
                    // Flink's default buffer timeout first (the baseline), then the job's
                    Duration jobDefault = ScoringJobOptions.BUFFER_TIMEOUT.defaultValue();
                    for (Duration bufferTimeout : List.of(Duration.ofMillis(100), jobDefault)) {
                        latencyRun(out, gson, jsonSink, kafka, client, modelDir, bestBatch, best / 2, bufferTimeout, pngs, distinct);
                    }
                }

                if (fineTuneSteps > 0) {
                    // the same job and frames twice: without fine-tuning, then with a round starting every 50 sampled
                    // frames (every frame sampled), so training competes with scoring the whole run
                    double without = 0;
                    for (boolean tune : new boolean[] {false, true}) {
                        String suffix = tune ? "tuned" : "untuned";
                        String latents = "bench-latents-" + suffix;
                        kafka.createTopics(latents, "bench-alerts-" + suffix, "bench-dlq-" + suffix, "bench-updates-" + suffix);
                        ScoringJob.Builder b = job(modelDir, client, bestBatch, Duration.ofMillis(50), "exactly-once", suffix);
                        if (tune) {
                            b.set(ScoringJobOptions.TUNING_ENABLED, true)
                                    .set(ScoringJobOptions.TUNING_REGISTRY, tmp.resolve("registry").toString())
                                    .set(ScoringJobOptions.MODEL_UPDATES_TOPIC, "bench-updates-" + suffix)
                                    .set(ScoringJobOptions.TUNING_DEVICE, "cpu")
                                    .set(ScoringJobOptions.TUNING_SAMPLE_RATE, 1.0)
                                    .set(ScoringJobOptions.TUNING_REFERENCE_FRAMES, 50)
                                    .set(ScoringJobOptions.TUNING_FRAMES, 50)
                                    .set(ScoringJobOptions.TUNING_STEPS, fineTuneSteps)
                                    .set(ScoringJobOptions.TUNING_BATCH_SIZE, 16)
                                    .set(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT, 16)
                                    .set(ScoringJobOptions.TUNING_HELD_OUT_EVERY, 2);
                        }
                        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ScoringJob.localEnvironment(new Configuration()));
                        env.setParallelism(1);
                        JobClient jobClient = b.build().start(env); // a fine-tuning job has no end: cancelled once all is scored
                        List<Long> times = new ArrayList<>();
                        read(client, latents, frames, Duration.ofMinutes(30), (r, now) -> times.add(r.timestamp()));
                        jobClient.cancel().get(60, TimeUnit.SECONDS);
                        Collections.sort(times);
                        double rate = times.size() < 2 ? 0 : (times.size() - 1) / ((times.get(times.size() - 1) - times.get(0)) / 1e3);
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("figure", tune ? "with-fine-tuning" : "without-fine-tuning");
                        row.put("max_batch_size", bestBatch);
                        row.put("frames", times.size());
                        row.put("e2e_frames_per_s", round(rate));
                        if (tune) {
                            long[] decisions = new long[2];
                            read(client, "bench-updates-" + suffix, Long.MAX_VALUE, Duration.ofSeconds(3), (r, now) -> {
                                JsonObject u = JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject();
                                if (!u.get("parent_version").isJsonNull()) {
                                    decisions[u.get("accepted").getAsBoolean() ? 0 : 1]++;
                                }
                            });
                            row.put("rounds_decided", decisions[0] + decisions[1]);
                            row.put("accepted", decisions[0]);
                            row.put("fine_tune_steps_per_round", fineTuneSteps);
                            row.put("over_without", round(rate / without));
                        } else {
                            without = rate;
                        }
                        BenchmarkModelCommand.print(out, gson, jsonSink, row);
                    }
                }
            }
        } finally {
            Utils.delete(tmp.toFile());
        }
        return 0;
    }

    /** A row of the breakdown's figures: which figure, and the run it belongs to. */
    private static Map<String, Object> breakdownRow(String figure, int batch, ValueFormat format) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("figure", figure);
        row.put("max_batch_size", batch);
        row.put("value_format", format.name().toLowerCase(Locale.ROOT));
        return row;
    }

    /** Nanoseconds over a run's frames, as milliseconds a frame to three decimals. */
    private static double msPerFrame(double nanos, long frames) {
        return Math.round(nanos / frames / 1e3) / 1e3;
    }

    /**
     * The CPU time per frame of the end-to-end run, measured, in two views: by thread (exact: the scorer's chain, whose
     * thread runs source, decode, batching and the model's calls; the engine's worker threads; the threshold and sink
     * chain; the Kafka clients' threads; the JIT compiler and the garbage collector), and the stages' shares of the
     * JFR samples of the job's Java code (the model's native compute is not sampled). The broker and Flink's control
     * plane in this JVM are not the job's and are shown apart.
     */
    private static void printBreakdown(PrintWriter out, Gson gson, Writer jsonSink, int batch, ValueFormat format, long frames,
            CpuBreakdown.Result used) throws java.io.IOException {
        if (frames <= 0) {
            return;
        }
        Map<String, Long> groups = new LinkedHashMap<>();
        used.jobThreadsCpu().forEach((thread, ns) -> groups.merge(threadGroup(thread), ns, Long::sum));
        groups.put("engine worker threads (PyTorch intra-op)", used.engineWorkersCpu());
        groups.put("JIT compiler", used.jitCpu());
        groups.put("garbage collector", used.gcCpu());
        double job = groups.values().stream().mapToLong(Long::longValue).sum();
        for (Map.Entry<String, Long> g : groups.entrySet()) {
            Map<String, Object> row = breakdownRow("cpu-by-thread", batch, format);
            row.put("threads", g.getKey());
            row.put("cpu_ms_per_frame", msPerFrame(g.getValue(), frames));
            row.put("share_of_job", round(g.getValue() / job));
            BenchmarkModelCommand.print(out, gson, jsonSink, row);
        }
        long samples = used.samples().values().stream().mapToLong(Long::longValue).sum();
        for (Map.Entry<String, Long> s : used.samples().entrySet()) {
            Map<String, Object> row = breakdownRow("java-samples-by-stage", batch, format);
            row.put("stage", s.getKey());
            row.put("samples", s.getValue());
            row.put("share", samples == 0 ? 0 : round(s.getValue() / (double) samples));
            BenchmarkModelCommand.print(out, gson, jsonSink, row);
        }
        for (JitWork.Owner o : used.jit().owners()) {
            Map<String, Object> row = breakdownRow("jit-by-owner", batch, format);
            row.put("code", o.name());
            row.put("compilations", o.compilations());
            row.put("compile_ms_per_frame", msPerFrame(o.compileNanos(), frames));
            row.put("deoptimizations", o.deoptimizations());
            row.put("compiled_again", o.recompilations());
            row.put("class_loaders", o.classLoaders());
            BenchmarkModelCommand.print(out, gson, jsonSink, row);
        }
        Map<String, Object> row = breakdownRow("cpu-total", batch, format);
        row.put("frames", frames);
        row.put("job_cpu_ms_per_frame", msPerFrame(job, frames));
        row.put("process_cpu_ms_per_frame", msPerFrame(used.processCpu(), frames));
        row.put("not_the_job_cpu_ms_per_frame", msPerFrame(used.outsideJavaCpu(), frames));
        BenchmarkModelCommand.print(out, gson, jsonSink, row);
    }

    /**
     * Unreported runs until the JIT compilers are quiet: in a new JVM they compile the broker's, Kafka's clients', Flink's
     * and the JDK's hot code for the first minute or more (first compilations, measured: not deoptimisation loops, not
     * copies in new class loaders), which a long-running job pays once and which would otherwise be charged to the
     * first runs measured. Each value format runs at least once, so that its serialiser is compiled too.
     */
    private void warmUp(PrintWriter out, Gson gson, Writer jsonSink, EmbeddedKafka kafka, KafkaClientConfig client, Path modelDir)
            throws Exception {
        for (int run = 1; run <= warmUpRuns; run++) {
            ValueFormat format = valueFormats.get((run - 1) % valueFormats.size());
            String suffix = "warm-up-" + run;
            kafka.createTopics("bench-latents-" + suffix, "bench-alerts-" + suffix, "bench-dlq-" + suffix);
            long jit0 = CpuBreakdown.jitCpuNanos();
            long cpu0 = CpuBreakdown.processCpuNanos();
            // the first Flight Recorder recording in a JVM instruments the JDK's file and socket classes, and the JIT
            // compiles again all that inlined them (Kafka's network code first): measured, a window opened after six
            // quiet warm-up runs spent half its CPU compiling. So the first recording is here, in a warm-up run.
            CpuBreakdown first = breakdown && run == 1 ? CpuBreakdown.start() : null;
            runToEnd(job(modelDir, client, batchSizes[batchSizes.length - 1], Duration.ofMillis(50), "exactly-once", suffix)
                    .set(ScoringJobOptions.VALUE_FORMAT, format).optStoppingOffsets(OffsetsInitializer.latest()).build());
            if (first != null) {
                first.stop(thread -> false);
            }
            double jitShare = (CpuBreakdown.jitCpuNanos() - jit0) / (double) Math.max(1, CpuBreakdown.processCpuNanos() - cpu0);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("figure", "warm-up");
            row.put("run", run);
            row.put("value_format", format.name().toLowerCase(Locale.ROOT));
            row.put("jit_share_of_process_cpu", round(jitShare));
            BenchmarkModelCommand.print(out, gson, jsonSink, row);
            if (jitShare < 0.1 && run >= valueFormats.size()) {
                return;
            }
        }
    }

    /** The job's thread groups of this benchmark's topology, by the names Flink gives its task threads. */
    private static String threadGroup(String thread) {
        if (thread.startsWith("Source: ")) {
            return "scorer chain (source, decode, batch, model calls, unbatch)";
        }
        if (thread.startsWith("threshold per source")) {
            return "threshold + sinks chain";
        }
        if (thread.startsWith("Source Data Fetcher")) {
            return "Kafka source fetcher";
        }
        if (thread.startsWith("kafka-")) {
            return "Kafka clients' network threads";
        }
        return "other job threads";
    }

    /** json | avro, as the job's option takes them. */
    static final class ValueFormatConverter implements CommandLine.ITypeConverter<ValueFormat> {
        @Override
        public ValueFormat convert(String value) {
            try {
                return ValueFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("json or avro, got '" + value + "'");
            }
        }
    }

    /** A {@link CpuBreakdown} that starts once the job has written its first latents record (read uncommitted). */
    private static final class BreakdownWindow {
        private final Thread watcher;
        private volatile CpuBreakdown cpu;
        private volatile long recordsBefore;
        private final AtomicBoolean stop = new AtomicBoolean();

        private BreakdownWindow(KafkaClientConfig client, String topic) {
            watcher = new Thread(() -> {
                Map<String, Object> p = client.toMap();
                p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
                p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
                p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"); // written, not yet committed
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
                    List<TopicPartition> tps = new ArrayList<>();
                    consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
                    consumer.assign(tps);
                    consumer.seekToBeginning(tps);
                    while (!stop.get()) {
                        int n = consumer.poll(Duration.ofMillis(20)).count();
                        if (n > 0) {
                            recordsBefore = n;
                            cpu = CpuBreakdown.start();
                            return;
                        }
                    }
                }
            }, "bench-breakdown-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }

        static BreakdownWindow onFirstRecord(KafkaClientConfig client, String topic) {
            return new BreakdownWindow(client, topic);
        }

        /** Frames scored before the window opened. */
        long recordsBefore() {
            return recordsBefore;
        }

        /** Ends the window; null if it never opened. */
        CpuBreakdown.Result stop() throws Exception {
            stop.set(true);
            watcher.join(30_000);
            return cpu == null ? null : cpu.stop(BenchmarkPipelineCommand::ofJob);
        }
    }

    /**
     * The job's threads in this JVM: its tasks ("NAME (1/1)#0"), the Kafka source's fetcher and the Kafka clients'
     * network threads. The broker, Flink's control plane and the benchmark's own threads are not.
     */
    static boolean ofJob(String thread) {
        return thread != null && (thread.matches(".*\\(\\d+/\\d+\\)#\\d+$") || thread.startsWith("Source Data Fetcher")
                || thread.startsWith("kafka-producer-network-thread") || thread.startsWith("kafka-coordinator-heartbeat-thread")
                || thread.startsWith("OutputFlusher"));
    }

    /** Latency from capture to latents record at a fixed rate, at-least-once (records visible when written). */
    private void latencyRun(PrintWriter out, Gson gson, Writer jsonSink, EmbeddedKafka kafka, KafkaClientConfig client, Path modelDir,
            int batch, double rate, Duration bufferTimeout, List<byte[]> pngs, int distinct) throws Exception {
        String t = "lat" + bufferTimeout.toMillis();
        kafka.createTopics(t + "-frames", t + "-latents", t + "-alerts", t + "-dlq");
        ScoringJob job = job(modelDir, client, batch, maxBatchDelay, "at-least-once", t)
                .set(ScoringJobOptions.BUFFER_TIMEOUT, bufferTimeout).build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        JobClient jobClient = job.start(env);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        long warmUpEnd = System.currentTimeMillis() + 5000 + 2000;
        Thread reader = new Thread(() -> read(client, t + "-latents", Long.MAX_VALUE, null, (r, now) -> {
            long captured = JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject().get("captured_at").getAsLong();
            if (captured >= warmUpEnd) {
                latencies.add(now - captured);
            }
        }, stop), "bench-latency-reader");
        reader.start();
        Thread.sleep(5000); // the job starts and loads the model
        long sent = FrameProducer.send(client, t + "-frames", i -> {
            String source = "cam-" + (i % 4);
            return new FrameProducer.Item(source, source + "-" + i, pngs.get((int) (i % distinct)), "", false);
        }, rate, 0, Duration.ofMillis((long) (latencySeconds * 1000)), () -> false, s -> { });
        Thread.sleep(3000);
        stop.set(true);
        reader.join(10_000);
        jobClient.cancel().get(30, TimeUnit.SECONDS);
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("figure", "latency");
        row.put("max_batch_size", batch);
        row.put("max_batch_delay_ms", maxBatchDelay.toMillis());
        row.put("buffer_timeout_ms", bufferTimeout.toMillis());
        row.put("rate_frames_per_s", round(rate));
        row.put("frames_sent", sent);
        row.put("frames_measured", sorted.size());
        row.put("p50_ms", sorted.isEmpty() ? "n/a" : DemoSummary.percentile(sorted, 0.5));
        row.put("p99_ms", sorted.isEmpty() ? "n/a" : DemoSummary.percentile(sorted, 0.99));
        row.put("delivery", "at-least-once");
        BenchmarkModelCommand.print(out, gson, jsonSink, row);
    }

    private static ScoringJob.Builder job(Path modelDir, KafkaClientConfig client, int batch, Duration delay, String delivery, Object suffix) {
        String s = String.valueOf(suffix);
        boolean latency = s.startsWith("lat");
        Configuration conf = new Configuration();
        conf.set(ScoringJobOptions.MODEL_PATH, modelDir.toString());
        conf.set(ScoringJobOptions.DEVICE, "cpu");
        conf.set(ScoringJobOptions.THRESHOLD, 1e9);
        conf.set(ScoringJobOptions.FRAMES_TOPIC, latency ? s + "-frames" : "bench-frames");
        conf.set(ScoringJobOptions.LATENTS_TOPIC, latency ? s + "-latents" : "bench-latents-" + s);
        conf.set(ScoringJobOptions.ALERTS_TOPIC, latency ? s + "-alerts" : "bench-alerts-" + s);
        conf.set(ScoringJobOptions.DLQ_TOPIC, latency ? s + "-dlq" : "bench-dlq-" + s);
        conf.set(ScoringJobOptions.GROUP_ID, "bench-" + s);
        conf.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, "bench-" + s);
        conf.set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
        conf.set(ScoringJobOptions.MAX_BATCH_SIZE, batch);
        conf.set(ScoringJobOptions.MAX_BATCH_DELAY, delay);
        conf.set(ScoringJobOptions.DELIVERY_GUARANTEE, "at-least-once".equals(delivery)
                ? ScoringJobOptions.Delivery.AT_LEAST_ONCE : ScoringJobOptions.Delivery.EXACTLY_ONCE);
        return ScoringJob.builder().setConfiguration(conf).optKafkaClientConfig(client);
    }

    private static void runToEnd(ScoringJob job) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        job.start(env).getJobExecutionResult().get(30, TimeUnit.MINUTES);
    }

    interface RecordSink {
        void accept(ConsumerRecord<byte[], byte[]> record, long receivedAt);
    }

    private static void read(KafkaClientConfig client, String topic, long expected, Duration timeout, RecordSink sink) {
        read(client, topic, expected, timeout, sink, new AtomicBoolean());
    }

    /** Reads a topic (read_committed) from its start until {@code expected} records, the timeout, or stop. */
    static void read(KafkaClientConfig client, String topic, long expected, Duration timeout, RecordSink sink, AtomicBoolean stop) {
        Map<String, Object> p = client.toMap();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long n = 0;
            long end = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            while (n < expected && System.nanoTime() < end && !stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    sink.accept(r, System.currentTimeMillis());
                    n++;
                }
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
