package io.latentwatch.cli;

import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.BrokerLimits;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch run: the streaming scoring job on a local Flink (or the cluster of {@code flink run}). */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the streaming scoring job against a Kafka cluster until Ctrl-C: frames -> decode + validate -> micro-batches ->"
                    + " DIP-VAE -> latents, alerts and frames-dlq (exactly-once by default).",
            "Locally it starts a Flink with its web UI; under `flink run latentwatch.jar run ...` it runs on that cluster.",
            "Any job option can also be given as -Dlatentwatch.KEY=VALUE (see docs/streaming.md); a flag given beats -D, and a"
                    + " flag not given leaves the -D value."
        })
final class RunCommand implements Callable<Integer> {

    /** Where a local Flink's web UI listens unless --web-ui-port or -D rest.port says otherwise. */
    static final int WEB_UI_PORT = 8081;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Every flag of the job ({@link io.latentwatch.pipeline.JobFlags}): --bootstrap-servers, --model, --max-batch-size, ... */
    @Mixin JobFlagsMixin jobFlags;

    @Option(names = "--web-ui-port", paramLabel = "PORT",
            description = "port of the local Flink web UI; 0 takes a free one (default: " + WEB_UI_PORT + ")")
    Integer webUiPort;

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "any job option (latentwatch.*) or Flink setting; a flag given beats it")
    Map<String, String> extra = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = LatentwatchCommand.out(spec);
        Configuration conf = configuration();
        int port = conf.get(RestOptions.PORT);

        ScoringJob job = ScoringJob.builder().setConfiguration(conf).build();
        job.kafka().checkTopicsExist(job.topics(), 30_000);
        BrokerLimits limits = BrokerLimits.read(job.kafka(), conf.get(ScoringJobOptions.FRAMES_TOPIC), conf.get(ScoringJobOptions.DLQ_TOPIC), 30_000);
        for (String note : job.check(limits)) {
            out.println("note: " + note);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ScoringJob.localEnvironment(conf));
        env.setParallelism(parallelism(conf));
        printSettings(out, job);
        JobClient client = job.start(env);
        out.printf("job %s submitted%s; Ctrl-C stops it%n", client.getJobID(), port == 0 ? "" : ", web UI http://localhost:" + port);
        out.flush();
        Thread hook = new Thread(() -> cancelQuietly(client), "latentwatch-run-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            client.getJobExecutionResult().get();
        } catch (InterruptedException e) {
            cancelQuietly(client); // the caller stops us: the local job must not outlive the command
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
        return 0;
    }

    /**
     * The job's configuration of the parsed command line, without running anything: the -D values, over them every
     * flag that was given (and no other: the options' defaults apply where neither names one), then what a local run
     * needs besides: Kafka on localhost:9092 unless a flag, -D or the properties file names the servers, and the web
     * UI's port.
     *
     * @throws CommandLine.ParameterException without a model directory, or for a web UI port out of range
     */
    Configuration configuration() {
        Configuration conf = Configuration.fromMap(extra);
        jobFlags.applyTo(conf);
        if (!conf.contains(ScoringJobOptions.MODEL_PATH)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--model=DIR' (or -D "
                    + ScoringJobOptions.MODEL_PATH.key() + "=DIR)");
        }
        if (!conf.contains(ScoringJobOptions.BOOTSTRAP_SERVERS) && !conf.contains(ScoringJobOptions.KAFKA_PROPERTIES_FILE)) {
            conf.set(ScoringJobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        }
        if (webUiPort != null) {
            conf.set(RestOptions.PORT, webUiPort);
        } else if (!conf.contains(RestOptions.PORT)) {
            conf.set(RestOptions.PORT, WEB_UI_PORT);
        }
        int port = conf.get(RestOptions.PORT);
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--web-ui-port must be in 0..65535, got " + port);
        }
        return conf;
    }

    /** The local job's parallelism: the scorers' (--parallelism), else Flink's parallelism.default if -D sets it, else 1. */
    static int parallelism(Configuration conf) {
        return conf.getOptional(ScoringJobOptions.SCORING_PARALLELISM).orElse(conf.getOptional(CoreOptions.DEFAULT_PARALLELISM).orElse(1));
    }

    static void printSettings(PrintWriter out, ScoringJob job) {
        out.printf("model %s (version %d, %s, threshold %s)%n", job.model().config(), job.model().version(), job.model().scoreName(),
                Double.isNaN(job.baseThreshold()) ? "none: adaptive warm-up" : String.format(Locale.ROOT, "%.6g", job.baseThreshold()));
        for (String line : job.kafka().describe()) {
            out.println("kafka " + line);
        }
        for (String line : job.describe()) {
            out.println(line);
        }
        out.flush();
    }

    private static void cancelQuietly(JobClient client) {
        try {
            client.cancel().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            // the job may have ended already
        }
    }
}
