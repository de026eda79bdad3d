package io.latentwatch.cli;

import io.latentwatch.console.AlertConsole;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.PrintWriter;
import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch console --bootstrap-servers H:P [--port 8090]: the alert console, until Ctrl-C. */
@Command(
        name = "console",
        mixinStandardHelpOptions = true,
        description = {
            "Serves a web page of the job's live alerts (the frame, its anomaly map and region, score against threshold),"
                    + " per-source score traces and the model timeline, read from the topics (read_committed, alerts"
                    + " de-duplicated by frame_id), on localhost until Ctrl-C. See docs/console.md."
        })
final class ConsoleCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin KafkaOptions kafka;

    @Option(names = "--port", defaultValue = "" + AlertConsole.DEFAULT_PORT,
            description = "port on localhost; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--alerts-topic", paramLabel = "TOPIC", defaultValue = "alerts", description = "default: ${DEFAULT-VALUE}")
    String alertsTopic;

    @Option(names = "--latents-topic", paramLabel = "TOPIC", defaultValue = "latents", description = "default: ${DEFAULT-VALUE}")
    String latentsTopic;

    @Option(names = "--model-updates-topic", paramLabel = "TOPIC", defaultValue = "model-updates", description = "default: ${DEFAULT-VALUE}")
    String modelUpdatesTopic;

    @Option(names = "--frames-topic", paramLabel = "TOPIC", defaultValue = "frames", description = "default: ${DEFAULT-VALUE}")
    String framesTopic;

    @Option(names = "--lookback", paramLabel = "DURATION", defaultValue = "5min", converter = DurationConverter.class,
            description = "how far back alerts, latents and frames are read at start; model-updates is read from its start"
                    + " (default: ${DEFAULT-VALUE})")
    Duration lookback;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port must be in 0..65535 (0 = a free port), got " + port);
        }
        if (lookback.isNegative()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--lookback must be zero or more, got " + lookback);
        }
        KafkaClientConfig client = kafka.clientConfig();
        AlertConsole.Builder builder = AlertConsole.builder().setKafkaClientConfig(client).optPort(port).optLookback(lookback);
        try {
            builder.optTopics(alertsTopic, latentsTopic, modelUpdatesTopic, framesTopic);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), topicFlags(e.getMessage()));
        }
        AlertConsole console = builder.build();
        try {
            console.start();
        } catch (BindException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port: " + e.getMessage() + "; choose another port, or 0 for a free one");
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            closeQuietly(console);
            stopped.countDown();
        }, "latentwatch-console-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.printf("alert console at %s (Kafka %s); Ctrl-C stops it%n", console.url(), client.bootstrapServers());
            out.flush();
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the caller stops us
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                console.close();
            } catch (IllegalStateException shuttingDown) {
                // the hook is running and closes it
            }
        }
        return 0;
    }

    /** The console's message about a topic, with the topics' roles said as their flags. */
    private static String topicFlags(String message) {
        for (String role : new String[] {"alerts", "latents", "model-updates", "frames"}) {
            message = message.replace(role + " topic", "--" + role + "-topic");
        }
        return message;
    }

    private static void closeQuietly(AlertConsole console) {
        try {
            console.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
