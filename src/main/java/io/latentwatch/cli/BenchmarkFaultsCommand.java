package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.operators.TaskFailureInjector;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.scoring.ScoredFrame;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** latentwatch benchmark faults */
@Command(
        name = "faults",
        mixinStandardHelpOptions = true,
        description = {
            "Frames through a real Kafka broker (in-process) and a local Flink cluster (exactly-once, fine-tuning on) while a",
            "script of faults plays: a task failure, a TaskManager kill, a broker outage, poison model-updates records, an",
            "oversized undecodable frame, pixel bombs and a GIF, a corrupt registry file; the fine-tuner's learning rate makes",
            "every round diverge. Then one table: frames in, latents out, lost, duplicated, dead letters by reason, refused",
            "updates, restarts and what caused each, seconds until frames captured after each fault are scored, the model",
            "version served at the end. Targets: 0 lost, 0 duplicated, every bad record dead-lettered or refused with a",
            "reason, no restart but those the task failure and the TaskManager kill cause, scoring again within 10 s."
        })
final class BenchmarkFaultsCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--rate", defaultValue = "40", description = "frames per second sent the whole time (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--broker-outage", defaultValue = "15s", converter = DurationConverter.class,
            description = "how long the broker is down (default: ${DEFAULT-VALUE})")
    Duration brokerOutage;

    @Option(names = "--settle", defaultValue = "8s", converter = DurationConverter.class,
            description = "time between two faults (default: ${DEFAULT-VALUE})")
    Duration settle;

    @Option(names = "--short", description = "the CI form: 20 frames/s, a 5 s outage, 5 s between faults")
    boolean shortForm;

    @Option(names = "--json", description = "also write every row as a JSON line to this file")
    Path json;

    /** Set by the script, read by the job's fault injector (the MiniCluster runs in this JVM). */

    /** One fault as played: when it began and ended. */
    private record Fault(String name, long startedAt, long endedAt) {}

    @Override
    public Integer call() throws Exception {
        if (shortForm) {
            rate = 20;
            brokerOutage = Duration.ofSeconds(5);
            settle = Duration.ofSeconds(5);
        }
        if (rate <= 0 || brokerOutage.isNegative() || settle.isNegative()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate must be positive, --broker-outage and --settle not negative");
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        Path tmp = Files.createTempDirectory("latentwatch-bench-faults-");
        MiniCluster flink = null;
        try (Writer jsonSink = json == null ? null : Files.newBufferedWriter(json, StandardCharsets.UTF_8);
                EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(2).start()) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            kafka.createTopics(1, "model-updates");
            Path model = smallModel(tmp.resolve("model"));
            Path registry = tmp.resolve("registry");

            Configuration conf = new Configuration();
            conf.set(RestOptions.PORT, 0);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, Integer.MAX_VALUE);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, tmp.resolve("checkpoints").toUri().toString());
            flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf).setNumTaskManagers(1)
                    .setNumSlotsPerTaskManager(4).build());
            flink.start();

            KafkaClientConfig client = KafkaClientConfig.of(kafka.clientProperties());
            ScoringJob job = job(client, model, registry).build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(1);
            job.attach(env);
            JobID id = flink.submitJob(env.getStreamGraph()).get().getJobID();
            out.printf("job %s submitted; frames at %.0f/s; faults every %s%n", id, rate, settle);
            out.flush();

            // the frames the whole run long, through a producer that waits out a broker outage
            Map<String, Object> producer = new HashMap<>(kafka.clientProperties());
            producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
            producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
            KafkaClientConfig sender = KafkaClientConfig.of(producer);
            SyntheticCamera camera = SyntheticCamera.builder().seed(3).imageSize(32).channels(1).anomalyRate(0.02).build();
            List<String> sent = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stopSending = new AtomicBoolean();
            Thread frames = new Thread(() -> {
                try {
                    FrameProducer.send(sender, "frames", FrameProducer.camera(camera, 2, "png"), rate, 0, null, stopSending::get,
                            s -> sent.add(s.frameId()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "latentwatch-faults-frames");
            frames.start();
            LatentsReader latents = new LatentsReader(sender);
            latents.start();
            waitFor(() -> latents.count() >= 20, Duration.ofMinutes(3), "the first frames scored");

            List<Fault> faults = new ArrayList<>();
            faults.add(play("task failure", () -> {
                TaskFailureInjector.failOnce();
                waitFor(TaskFailureInjector::failed, Duration.ofMinutes(1), "the injected task failure");
            }));
            MiniCluster cluster = flink;
            faults.add(play("TaskManager kill", () -> {
                cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
                cluster.startTaskManager();
            }));
            faults.add(play("broker outage " + brokerOutage.toSeconds() + " s", () -> {
                kafka.stop();
                Thread.sleep(brokerOutage.toMillis());
                kafka.restart();
            }));
            List<String> poison = poisonUpdates(registry);
            faults.add(play(poison.size() + " poison model-updates", () -> sendRaw(sender, "model-updates", poison.stream()
                    .map(p -> p.getBytes(StandardCharsets.UTF_8)).toList())));
            byte[] big = new byte[1_048_400];
            new java.util.Random(11).nextBytes(big);
            System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, 0, big, 0, 8);
            faults.add(play("undecodable 1 MB frame", () -> sendRaw(sender, "frames", List.of(big))));
            faults.add(play("pixel bombs and a GIF", () -> sendRaw(sender, "frames", List.of(HostileImages.blackPng(30_000, 30_000, false),
                    HostileImages.blackPng(16_000, 16_000, true), HostileImages.gif()))));
            Path registryFile = registry.resolve("registry.json");
            faults.add(play("corrupt registry.json", () -> {
                byte[] good = Files.readAllBytes(registryFile);
                Files.writeString(registryFile, "{\"format\": \"latentwatch-registry/1\", \"pinned\": ");
                Thread.sleep(settle.toMillis());
                Files.write(registryFile, good);
            }));
            Thread.sleep(settle.toMillis());
            stopSending.set(true);
            frames.join(TimeUnit.MINUTES.toMillis(5));
            waitFor(() -> latents.scored().keySet().containsAll(List.copyOf(sent)), Duration.ofMinutes(3), "every frame sent scored");
            Thread.sleep(2000); // what a late duplicate would need to show
            JobStatus status = flink.getJobStatus(id).get();
            List<JsonObject> restarts = restarts(flink.getRestAddress().get(), id);
            flink.cancelJob(id).get(30, TimeUnit.SECONDS);
            latents.stop();

            report(out, new Gson(), jsonSink, sent, latents, faults, restarts, status, deadLetters(sender), updates(sender));
        } finally {
            if (flink != null) {
                flink.close();
            }
            Utils.delete(tmp.toFile());
        }
        return 0;
    }

    /** The job: exactly-once, fine-tuning on, a learning rate so large that every round diverges (a fault of its own). */
    private static ScoringJob.Builder job(KafkaClientConfig client, Path model, Path registry) {
        Configuration c = new Configuration();
        c.set(ScoringJobOptions.MODEL_PATH, model.toString());
        c.set(ScoringJobOptions.DEVICE, "cpu");
        c.set(ScoringJobOptions.THRESHOLD, 1.0);
        c.set(ScoringJobOptions.GROUP_ID, "bench-faults");
        c.set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
        c.set(ScoringJobOptions.MAX_BATCH_SIZE, 16);
        c.set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(20));
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
        c.set(ScoringJobOptions.TUNING_ENABLED, true);
        c.set(ScoringJobOptions.TUNING_REGISTRY, registry.toString());
        c.set(ScoringJobOptions.TUNING_DEVICE, "cpu");
        c.set(ScoringJobOptions.TUNING_SAMPLE_RATE, 0.5);
        c.set(ScoringJobOptions.TUNING_REFERENCE_FRAMES, 20);
        c.set(ScoringJobOptions.TUNING_FRAMES, 60);
        c.set(ScoringJobOptions.TUNING_STEPS, 10);
        c.set(ScoringJobOptions.TUNING_BATCH_SIZE, 16);
        c.set(ScoringJobOptions.TUNING_LEARNING_RATE, 1e4);
        c.set(ScoringJobOptions.TUNING_HELD_OUT_EVERY, 2);
        c.set(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT, 10);
        return ScoringJob.builder().setConfiguration(c).optKafkaClientConfig(client)
                .optAfterScoring(s -> s.map(new TaskFailureInjector<ScoredFrame>()).name("fault injector").uid("latentwatch-bench-fault-injector"));
    }

    /** A 1x32x32 model of random weights: the faults, not the scores, are measured. */
    private static Path smallModel(Path dir) throws Exception {
        DipVaeConfig c = DipVaeConfig.builder().inChannels(1).imageSize(32).latentDim(16).hiddenDims(16, 32, 64).build();
        Engine.getInstance().setRandomSeed(1);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.write(dir, new DipVae(c).initialize(m), ModelMetadata.initial(c, null));
        }
        return dir;
    }

    /** Records anyone with write access to model-updates could send; none may fail the job or change the model. */
    private static List<String> poisonUpdates(Path registry) {
        Instant now = Instant.now();
        String sha = "00".repeat(32);
        return List.of(
                new ModelUpdate(2L, 1L, registry + "/v000002\u0000", sha, true, "a NUL in the path", null, null, now).toJson(),
                "not JSON at all {",
                "{\"version\": 5}",
                new ModelUpdate(77L, 1L, "/tmp/elsewhere/v000077", sha, true, "a model outside the registry", null, null, now).toJson(),
                new ModelUpdate(77L, 1L, registry + "/../elsewhere", sha, true, "a way out of the registry", null, null, now).toJson(),
                new ModelUpdate(9L, 1L, registry + "/v000009", sha, true, "a version the registry lacks", null, null, now).toJson());
    }

    private interface Step {
        void run() throws Exception;
    }

    private Fault play(String name, Step step) throws Exception {
        long start = System.currentTimeMillis();
        step.run();
        Fault f = new Fault(name, start, System.currentTimeMillis());
        Thread.sleep(settle.toMillis());
        return f;
    }

    private static void sendRaw(KafkaClientConfig client, String topic, List<byte[]> values) throws Exception {
        Map<String, Object> p = client.toMap();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(p)) {
            for (byte[] v : values) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "intruder".getBytes(StandardCharsets.UTF_8), v)).get();
            }
        }
    }

    private interface Condition {
        boolean met() throws Exception;
    }

    private static void waitFor(Condition c, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!c.met()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + what + " within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }

    /** Reads latents (read_committed) the whole run: how often each frame was scored, and when frames came. */
    private static final class LatentsReader {
        private final KafkaClientConfig client;
        private final Map<String, Long> scored = new ConcurrentHashMap<>();
        /** (arrival ms, captured-at ms) per record, in arrival order. */
        private final List<long[]> arrivals = Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong lastVersion = new AtomicLong(-1);
        private final AtomicBoolean stop = new AtomicBoolean();
        private Thread thread;

        LatentsReader(KafkaClientConfig client) {
            this.client = client;
        }

        void start() {
            thread = new Thread(() -> BenchmarkPipelineCommand.read(client, "latents", Long.MAX_VALUE, null, (r, at) -> {
                JsonObject j = JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject();
                scored.merge(j.get("frame_id").getAsString(), 1L, Long::sum);
                arrivals.add(new long[] {at, j.get("captured_at").getAsLong()});
                lastVersion.set(j.get("model_version").getAsLong());
            }, stop), "latentwatch-faults-latents");
            thread.start();
        }

        long count() {
            return scored.size();
        }

        Map<String, Long> scored() {
            return scored;
        }

        /** Seconds from {@code t} until a frame captured at or after it was scored; -1 if none was. */
        double secondsToScoreAfter(long t) {
            synchronized (arrivals) {
                for (long[] a : arrivals) {
                    if (a[1] >= t) {
                        return (a[0] - t) / 1000.0;
                    }
                }
            }
            return -1;
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    /** Every record a topic holds now (read_committed): what it gets within a few seconds. */
    private static void readAll(KafkaClientConfig client, String topic, BenchmarkPipelineCommand.RecordSink sink) {
        BenchmarkPipelineCommand.read(client, topic, Long.MAX_VALUE, Duration.ofSeconds(5), sink, new AtomicBoolean());
    }

    /** Dead letters by reason (the error header up to its first colon). */
    private static Map<String, Integer> deadLetters(KafkaClientConfig client) {
        Map<String, Integer> byReason = new TreeMap<>();
        readAll(client, "frames-dlq", (r, at) -> {
            Header error = r.headers().lastHeader("error");
            String reason = error == null ? "(no reason)" : new String(error.value(), StandardCharsets.UTF_8);
            int colon = reason.indexOf(':');
            String kind = (colon > 0 ? reason.substring(0, colon) : reason)
                    + (r.headers().lastHeader("truncated") != null ? " (cut to fit)" : "");
            byReason.merge(kind, 1, Integer::sum);
        });
        return byReason;
    }

    private static List<JsonObject> updates(KafkaClientConfig client) {
        List<JsonObject> all = new ArrayList<>();
        readAll(client, "model-updates", (r, at) -> {
            try {
                JsonElement e = JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8));
                if (e.isJsonObject() && e.getAsJsonObject().has("reason") && e.getAsJsonObject().has("accepted")) {
                    all.add(e.getAsJsonObject());
                }
            } catch (RuntimeException poison) {
                // a record of the script's poison
            }
        });
        return all;
    }

    /** The job's restarts from Flink's exception history (REST): when, and the root cause. */
    private static List<JsonObject> restarts(URI rest, JobID id) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve("/jobs/" + id + "/exceptions?maxExceptions=50")).build(),
                HttpResponse.BodyHandlers.ofString());
        List<JsonObject> out = new ArrayList<>();
        JsonElement entries = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("exceptionHistory").get("entries");
        for (JsonElement e : entries.getAsJsonArray()) {
            out.add(e.getAsJsonObject());
        }
        out.sort((a, b) -> Long.compare(a.get("timestamp").getAsLong(), b.get("timestamp").getAsLong()));
        return out;
    }

    private static void report(PrintWriter out, Gson gson, Writer json, List<String> sent, LatentsReader latents, List<Fault> faults,
            List<JsonObject> restarts, JobStatus status, Map<String, Integer> deadLetters, List<JsonObject> updates) {
        out.println();
        out.printf("%-28s %9s %26s%n", "fault", "restarts", "s until scoring again");
        for (int i = 0; i < faults.size(); i++) {
            Fault f = faults.get(i);
            long until = i + 1 < faults.size() ? faults.get(i + 1).startedAt() : Long.MAX_VALUE;
            List<String> causes = new ArrayList<>();
            for (JsonObject r : restarts) {
                long t = r.get("timestamp").getAsLong();
                if (t >= f.startedAt() && t < until) {
                    causes.add(r.get("exceptionName").getAsString());
                }
            }
            double seconds = latents.secondsToScoreAfter(f.endedAt());
            out.printf(Locale.ROOT, "%-28s %9d %26s%n", f.name(), causes.size(), seconds < 0 ? "never" : String.format(Locale.ROOT, "%.1f", seconds));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("figure", "fault");
            row.put("fault", f.name().replace(' ', '_'));
            row.put("restarts", causes.size());
            row.put("causes", String.join(";", causes));
            row.put("seconds_until_scoring", seconds);
            BenchmarkModelCommand.print(out, gson, json, row);
        }
        long duplicated = latents.scored().values().stream().filter(n -> n > 1).count();
        long lost = sent.stream().filter(id -> !latents.scored().containsKey(id)).count();
        long refused = updates.stream().filter(u -> u.get("reason").getAsString().startsWith("scorers refused")).count();
        long diverged = updates.stream().filter(u -> !u.get("accepted").getAsBoolean() && u.get("reason").getAsString().contains("diverg")).count();
        long tunerRejections = updates.stream().filter(u -> !u.get("accepted").getAsBoolean() && !u.get("reason").getAsString().startsWith("scorers")).count();
        out.println();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("figure", "faults-summary");
        row.put("frames_in", sent.size());
        row.put("latents_out", latents.scored().size());
        row.put("lost", lost);
        row.put("duplicated", duplicated);
        row.put("dead_lettered", deadLetters.values().stream().mapToInt(Integer::intValue).sum());
        row.put("updates_refused", refused);
        row.put("fine_tune_rejections", tunerRejections);
        row.put("diverged_rounds", diverged);
        row.put("restarts", restarts.size());
        row.put("job_status", status);
        row.put("model_version_at_end", latents.lastVersion.get());
        BenchmarkModelCommand.print(out, gson, json, row);
        deadLetters.forEach((reason, n) -> out.printf("dead letters: %3d  %s%n", n, reason));
        for (JsonObject r : restarts) {
            out.printf("restart at %s: %s%n", Instant.ofEpochMilli(r.get("timestamp").getAsLong()), firstLine(r.get("stacktrace")));
        }
        updates.stream().filter(u -> !u.get("accepted").getAsBoolean()).map(u -> u.get("reason").getAsString()).distinct().limit(12)
                .forEach(reason -> out.println("model-updates rejection: " + (reason.length() > 160 ? reason.substring(0, 160) + "..." : reason)));
        out.flush();
    }

    private static String firstLine(JsonElement stacktrace) {
        String s = stacktrace == null || stacktrace.isJsonNull() ? "" : stacktrace.getAsString();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
