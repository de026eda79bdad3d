package io.latentwatch.cli;

import com.google.gson.JsonObject;
import io.latentwatch.data.DatasetSpec;
import io.latentwatch.data.ImageFolderDataset;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch produce: frames into a topic at a given rate. */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = {
            "Sends frames to a Kafka topic at a given rate: the synthetic camera (with labelled injected anomalies), an image",
            "folder or a dataset. Each record: key = source (cam-0, cam-1, ...), value = PNG or JPEG, headers frame-id and",
            "captured-at (send time, epoch ms). --labels writes the ground truth of every frame sent as JSON lines.",
            "From a folder, each file that cannot be sent (unreadable, not PNG, JPEG or BMP, more pixels than --max-pixels) costs one"
                    + " line on stderr, skipped FILE: reason, and the others are sent."
        })
final class ProduceCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin KafkaOptions kafka;

    @Option(names = "--topic", defaultValue = "frames", description = "default: ${DEFAULT-VALUE}")
    String topic;

    @Option(names = "--input", defaultValue = "camera",
            description = "camera (the synthetic camera), or a dataset: " + DatasetSpec.FORMS + " (default: ${DEFAULT-VALUE})")
    String input;

    @Option(names = "--rate", defaultValue = "20", description = "frames per second; 0 as fast as possible (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--count", defaultValue = "0", description = "frames to send; 0 without limit (default: ${DEFAULT-VALUE})")
    long count;

    @Option(names = "--duration", converter = DurationConverter.class, description = "stop after this long (e.g. 60s)")
    Duration duration;

    @Option(names = "--sources", defaultValue = "2", description = "sources (keys cam-0 ...), frames spread round robin (default: ${DEFAULT-VALUE})")
    int sources;

    @Option(names = "--format", defaultValue = "png", description = "png | jpeg (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--seed", defaultValue = "1", description = "camera seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--image-size", defaultValue = "64", description = "camera frame side in pixels (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Option(names = "--channels", defaultValue = "3", description = "camera channels, 1 or 3 (default: ${DEFAULT-VALUE})")
    int channels;

    @Option(names = "--anomaly-rate", defaultValue = "0.05", description = "fraction of camera frames with an injected anomaly (default: ${DEFAULT-VALUE})")
    double anomalyRate;

    @Option(names = "--anomaly-kinds", split = ",", description = "kinds to inject (default: all): scratch, stain, missing-part, foreign-object, noise-burst, blank, overexposed")
    List<String> anomalyKinds;

    @Option(names = "--lighting-drift", defaultValue = "0", description = "8-bit levels added per frame (default: ${DEFAULT-VALUE})")
    double lightingDrift;

    @Option(names = "--max-rotation", defaultValue = "180",
            description = "degrees either way a camera part may lie turned: 180 = loose, any angle; the demo's fixture holds them within 5 (default: ${DEFAULT-VALUE})")
    double maxRotation;

    @Option(names = "--start-index", defaultValue = "0", description = "index of the camera's first frame (default: ${DEFAULT-VALUE})")
    long startIndex;

    @Option(names = "--labels", paramLabel = "FILE", description = "write one JSON line per frame sent: source, frame_id, captured_at, label, anomaly")
    Path labels;

    @Mixin PixelLimitOption pixelLimit;

    @Override
    public Integer call() throws Exception {
        if (sources < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sources must be at least 1, got " + sources);
        }
        String fmt = format.toLowerCase(Locale.ROOT).replace("jpg", "jpeg");
        if (!fmt.equals("png") && !fmt.equals("jpeg")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format must be png or jpeg, got " + format);
        }
        FrameProducer.Frames frames;
        String what;
        try {
            if ("camera".equalsIgnoreCase(input)) {
                SyntheticCamera.Builder b = SyntheticCamera.builder().seed(seed).imageSize(imageSize).channels(channels)
                        .anomalyRate(anomalyRate).optLightingDrift(lightingDrift).optStartIndex(startIndex)
                        .optMaxRotation(maxRotation);
                if (anomalyKinds != null) {
                    b.optAnomalyKinds(anomalyKinds.stream().map(AnomalyKind::fromLabel).toArray(AnomalyKind[]::new));
                }
                SyntheticCamera camera = b.build();
                frames = FrameProducer.camera(camera, sources, fmt);
                what = camera.toString();
            } else {
                var data = DatasetSpec.parse(input).open(pixelLimit.budget());
                PrintWriter err = spec.commandLine().getErr();
                if (data instanceof ImageFolderDataset folder) {
                    folder.skipped().forEach(s -> err.println("skipped " + s));
                }
                frames = FrameProducer.dataset(data, sources, fmt, line -> {
                    err.println("skipped " + line);
                    err.flush();
                });
                err.flush();
                what = data.description();
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        KafkaClientConfig client = kafka.clientConfig();
        PrintWriter out = LatentwatchCommand.out(spec);
        out.printf("sending %s to %s on %s at %s frames/s%n", what, topic, client.bootstrapServers(), rate > 0 ? rate : "max");
        out.flush();
        AtomicBoolean stop = new AtomicBoolean();
        Thread hook = new Thread(() -> stop.set(true), "latentwatch-produce-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        AtomicLong anomalies = new AtomicLong();
        long t0 = System.nanoTime();
        long sent;
        try (BufferedWriter labelOut = labels == null ? null : Files.newBufferedWriter(labels, StandardCharsets.UTF_8)) {
            sent = FrameProducer.send(client, topic, frames, rate, count, duration, stop::get, s -> {
                if (s.anomaly()) {
                    anomalies.incrementAndGet();
                }
                if (labelOut != null) {
                    JsonObject o = new JsonObject();
                    o.addProperty("source", s.source());
                    o.addProperty("frame_id", s.frameId());
                    o.addProperty("captured_at", s.capturedAt());
                    o.addProperty("label", s.label());
                    o.addProperty("anomaly", s.anomaly());
                    try {
                        labelOut.write(o + "\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook has stopped the loop
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "sent %d frames (%d with injected anomalies) in %.1f s, %.1f frames/s%n", sent, anomalies.get(), seconds, sent / seconds);
        out.flush();
        return 0;
    }
}
