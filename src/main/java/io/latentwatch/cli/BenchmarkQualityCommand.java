package io.latentwatch.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.latentwatch.data.FashionMnist;
import io.latentwatch.data.GrayImageDataset;
import io.latentwatch.data.Mnist;
import io.latentwatch.evaluation.ModelBenchmark;
import io.latentwatch.evaluation.OneClassBenchmark;
import io.latentwatch.evaluation.SyntheticBenchmark;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ReconstructionMap;
import io.latentwatch.scoring.MapCalibration;
import io.latentwatch.training.ProgressListener;
import io.latentwatch.training.TrainingOptions;
import io.latentwatch.training.TrainingProgress;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch benchmark quality --dataset synthetic|fashion-mnist|mnist */
@Command(
        name = "quality",
        mixinStandardHelpOptions = true,
        defaultValueProvider = TrainingDefaults.OneClass.class,
        sortOptions = false,
        description = {
            "Detection quality. fashion-mnist and mnist: the one-class protocol; for each class, train on its first images",
            "(Fashion-MNIST 6,000, MNIST 800; --validation-split of them held out to calibrate), score the test images of every",
            "class (Fashion-MNIST the last 1,000 a class, MNIST the rest) with that class normal, and print the AUROC of each score",
            "per class and their means (MNIST trains 50 epochs unless --epochs is given). synthetic: train as `train --data synthetic` does (its defaults, not the ones below) on",
            "the camera's frames 0-2,999, score scenes 4,096-5,119 without and with each of the seven kinds, and print each",
            "score's image AUROC per kind and the anomaly maps' pixel AUROC and AUPRO per kind. Prints the wall time."
        })
final class BenchmarkQualityCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dataset", required = true, description = "synthetic | fashion-mnist | mnist")
    String dataset;

    @Option(names = "--classes", split = ",", description = "classes to run (default: all ten)")
    List<String> classes;

    // the defaults come from the protocol's settings (TrainingDefaults.OneClass), not from the annotations
    @Mixin TrainingFlags training;

    @Option(names = "--image-size", description = "28 -> this, bilinear (default: ${DEFAULT-VALUE}; synthetic: the camera's 64)")
    int imageSize;

    @Mixin DeviceOption deviceOption;

    @Option(names = "--json", paramLabel = "F.jsonl", description = "also write one JSON line per class and one for the means")
    Path json;

    @Option(names = "--map-variants", split = ",", paramLabel = "KIND:SIGMA[:TOP_K]",
            description = "synthetic: other anomaly maps to calibrate and measure on the same network, e.g. l2:2,ssim:1:0.005")
    List<String> mapVariants;

    @Option(names = "--out", paramLabel = "DIR", description = "synthetic: also write the trained model directory here")
    Path out;

    @Override
    public Integer call() throws Exception {
        String name = dataset.trim().toLowerCase(Locale.ROOT);
        if (name.equals("synthetic")) {
            return synthetic();
        }
        OneClassBenchmark.Protocol protocol = switch (name) {
            case FashionMnist.NAME -> OneClassBenchmark.FASHION_MNIST;
            case Mnist.NAME -> OneClassBenchmark.MNIST;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--dataset must be synthetic, fashion-mnist or mnist, got '"
                    + dataset + "'");
        };
        int[] selected = selectedClasses(protocol);
        TrainingOptions options;
        try {
            TrainingOptions defaults = OneClassBenchmark.defaultOptions();
            TrainingOptions.Builder b = training.training(defaults.toBuilder())
                    .optModel(training.model(defaults.model().toBuilder()).imageSize(imageSize).build())
                    .optDevice(deviceOption.device);
            if (!spec.commandLine().getParseResult().hasMatchedOption("--epochs")) {
                b.optEpochs(protocol.epochs()); // the protocol's own (MNIST's differ from the defaults shown)
            }
            options = b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        GrayImageDataset data = protocol == OneClassBenchmark.MNIST ? Mnist.load() : FashionMnist.load();
        header(out, protocol.name(), options);
        out.println("# one-class protocol: per class train on items 0-" + (protocol.trainPerClass() - 1) + " ("
                + Math.round(training.validationSplit * 100) + " % held out to calibrate), test on items " + protocol.testFrom()
                + (protocol.testTo() == Integer.MAX_VALUE ? " on" : "-" + (protocol.testTo() - 1)) + " of all ten classes; AUROC of each score");
        out.flush();
        Gson gson = new Gson();
        long t0 = System.nanoTime();
        List<OneClassBenchmark.ClassResult> results = new ArrayList<>();
        try (Writer jsonSink = json == null ? null : Files.newBufferedWriter(json, StandardCharsets.UTF_8)) {
            OneClassBenchmark.run(protocol, options, data, selected, progress(), r -> {
                results.add(r);
                if (results.size() == 1) {
                    out.println("# AUROC of each score; test FAR: the class's own test images above the calibrated threshold; recall: the"
                            + " other classes' test images above it");
                    StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-5s %-10s", "class", "name"));
                    r.auroc().keySet().forEach(k -> h.append(' ').append(pad(k)));
                    h.append(String.format(Locale.ROOT, " %9s %8s %8s %8s", "test FAR", "recall", "frames/s", "seconds"));
                    out.println(h);
                }
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-5d %-10s", r.classIndex(), r.className()));
                r.auroc().forEach((k, v) -> line.append(' ').append(pad(k, v)));
                line.append(String.format(Locale.ROOT, " %9.4f %8.4f %8.0f %8.1f", r.testFalseAlarmRate(), r.testRecall(), r.framesPerSecond(), r.seconds()));
                out.println(line);
                out.flush();
                if (jsonSink != null) {
                    write(jsonSink, gson.toJson(r));
                }
            });
            Map<String, Double> mean = new LinkedHashMap<>();
            for (OneClassBenchmark.ClassResult r : results) {
                r.auroc().forEach((k, v) -> mean.merge(k, v / results.size(), Double::sum));
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-16s", "mean"));
            mean.forEach((k, v) -> line.append(' ').append(pad(k, v)));
            out.println(line);
            out.printf(Locale.ROOT, "# %d classes, mean AUROC (%s) %.4f, wall time %.1f s (%.1f min)%n", results.size(), options.scoreName(),
                    mean.get(options.scoreName()), wall, wall / 60);
            out.flush();
            if (jsonSink != null) {
                JsonObject m = new JsonObject();
                m.addProperty("dataset", protocol.name());
                m.addProperty("classes", results.size());
                JsonObject a = new JsonObject();
                mean.forEach(a::addProperty);
                m.add("mean_auroc", a);
                m.addProperty("wall_seconds", wall);
                m.addProperty("settings", options.toString());
                write(jsonSink, gson.toJson(m));
            }
        }
        return 0;
    }

    /**
     * The synthetic camera's run. Its defaults are the trainer's ({@code train --data synthetic}), not the one-class
     * protocol's that this command's help shows: the arguments are parsed again against the trainer's defaults, so
     * only what was typed overrides them.
     */
    private int synthetic() throws Exception {
        BenchmarkQualityCommand typed = new BenchmarkQualityCommand();
        CommandLine again = new CommandLine(typed);
        TrainingDefaults trainer = new TrainingDefaults.Trainer();
        // the trainer's image size is "auto" (the data's): the camera's here
        again.setDefaultValueProvider(arg -> arg.isOption() && "--image-size".equals(((CommandLine.Model.OptionSpec) arg).longestName())
                ? String.valueOf(SyntheticCamera.builder().build().imageSize()) : trainer.defaultValue(arg));
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        // the whole command line: this command's own arguments follow its name
        again.parseArgs(args.subList(args.indexOf(spec.name()) + 1, args.size()).toArray(new String[0]));
        if (classes != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--classes is for fashion-mnist and mnist; synthetic runs all seven kinds");
        }
        TrainingFlags flags = typed.training;
        SyntheticCamera camera = SyntheticCamera.builder().build();
        TrainingOptions options;
        try {
            DipVaeConfig.Builder model = flags.model(TrainingOptions.DEFAULT_MODEL.toBuilder()).inChannels(camera.channels())
                    .imageSize(camera.imageSize());
            if (spec.commandLine().getParseResult().hasMatchedOption("--image-size")) {
                model.imageSize(imageSize);
            }
            options = flags.training(TrainingOptions.builder())
                    .optModel(model.build())
                    .optImageSizeFromData(false)
                    .optChannelsFromData(false)
                    .optDevice(deviceOption.device)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        header(out, "synthetic", options);
        out.printf("# train on the camera's normal frames 0-%d (%d %% held out to calibrate), test scenes %d-%d without and with each kind%n",
                SyntheticBenchmark.TRAIN_FRAMES - 1, Math.round(options.validationFraction() * 100), SyntheticBenchmark.TEST_FROM,
                SyntheticBenchmark.TEST_FROM + SyntheticBenchmark.TEST_FRAMES - 1);
        out.flush();
        List<MapCalibration> variants = new ArrayList<>();
        for (String v : mapVariants == null ? List.<String>of() : mapVariants) {
            variants.add(variant(v, options.mapTopK()));
        }
        SyntheticBenchmark.Result r = SyntheticBenchmark.run(options, camera, SyntheticBenchmark.TRAIN_FRAMES, SyntheticBenchmark.TEST_FRAMES,
                variants, this.out, progress());
        List<String> kinds = new ArrayList<>(r.auroc().get(r.score()).keySet());
        out.println("# image AUROC per kind (calibrated score first)");
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-32s", "score"));
        kinds.forEach(k -> h.append(' ').append(pad(k)));
        out.println(h);
        r.auroc().forEach((score, byKind) -> out.println(row(score, kinds, byKind)));
        if (!r.pixelAuroc().isEmpty()) {
            out.println(row("pixel AUROC", kinds, r.pixelAuroc()));
            out.println(row("pixel AUPRO (FPR <= 0.3)", kinds, r.pixelAupro()));
        }
        out.println(row("recall at the threshold", kinds, r.recall()));
        r.variants().forEach((name, v) -> {
            out.println("# anomaly map " + name + " on the same network");
            v.auroc().forEach((score, byKind) -> out.println(row(score, kinds, byKind)));
            out.println(row("pixel AUROC", kinds, v.pixelAuroc()));
            out.println(row("pixel AUPRO (FPR <= 0.3)", kinds, v.pixelAupro()));
        });
        out.printf(Locale.ROOT, "# normal test frames above the threshold: %.4f; training %.1f s, wall time %.1f s (%.1f min)%n",
                r.testFalseAlarmRate(), r.trainingSeconds(), r.seconds(), r.seconds() / 60);
        out.flush();
        if (json != null) {
            Files.writeString(json, new Gson().toJson(r) + "\n", StandardCharsets.UTF_8);
        }
        return 0;
    }

    /** A --map-variants entry: KIND:SIGMA[:TOP_K]. */
    private MapCalibration variant(String text, double defaultTopK) {
        String[] p = text.trim().split(":");
        try {
            if (p.length < 2 || p.length > 3) {
                throw new IllegalArgumentException("expected KIND:SIGMA[:TOP_K]");
            }
            ReconstructionMap map = new ReconstructionMap(ReconstructionMap.Kind.fromLabel(p[0]), Double.parseDouble(p[1]));
            return MapCalibration.uncalibrated(map, p.length == 3 ? Double.parseDouble(p[2]) : defaultTopK);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--map-variants '" + text + "': " + e.getMessage());
        }
    }

    private static String row(String label, List<String> kinds, Map<String, Double> values) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-32s", label));
        for (String k : kinds) {
            Double v = values.get(k);
            line.append(' ').append(v == null ? String.format(Locale.ROOT, "%" + Math.max(8, k.length()) + "s", "-") : pad(k, v));
        }
        return line.toString();
    }

    private void header(PrintWriter out, String name, TrainingOptions options) {
        out.printf("# latentwatch benchmark quality --dataset %s, %s%n", name, Instant.now());
        out.printf("# %s; %s%n", ModelBenchmark.environment(deviceOption.device()), cpuModel());
        out.printf("# %s%n", options);
    }

    private ProgressListener progress() {
        PrintWriter err = spec.commandLine().getErr();
        return new ProgressListener() {
            @Override
            public void epoch(TrainingProgress p) {
                if (verbose() || p.epoch() == p.epochs()) {
                    err.printf(Locale.ROOT, "  epoch %d/%d loss %.2f recons %.2f kld %.1f offdiag %.3g diag %.3g val mse %.5f, %.0f frames/s%n",
                            p.epoch(), p.epochs(), p.total(), p.recons(), p.kld(), p.offDiagonal(), p.diagonal(), p.validationMse(), p.framesPerSecond());
                    err.flush();
                }
            }

            @Override
            public void message(String m) {
                if (verbose()) {
                    err.println("  " + m);
                    err.flush();
                }
            }
        };
    }

    /** latentwatch's --verbose (an inherited option): here it also prints each epoch's losses. */
    private boolean verbose() {
        return Boolean.TRUE.equals(spec.findOption(LogFile.VERBOSE).getValue());
    }

    /** A score's column heading: its name, at least 8 wide. */
    private static String pad(String score) {
        return String.format(Locale.ROOT, "%" + Math.max(8, score.length()) + "s", score);
    }

    /** A value under its score's heading, right-aligned. */
    private static String pad(String score, double value) {
        return String.format(Locale.ROOT, "%" + Math.max(8, score.length()) + ".4f", value);
    }

    private int[] selectedClasses(OneClassBenchmark.Protocol protocol) {
        if (classes == null || classes.isEmpty()) {
            return new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (String c : classes) {
            try {
                set.add(protocol == OneClassBenchmark.MNIST ? Mnist.classIndex(c) : FashionMnist.classIndex(c));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--classes: " + e.getMessage());
            }
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void write(Writer w, String line) {
        try {
            w.write(line + "\n");
            w.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The CPU's model name from /proc/cpuinfo, when there is one. */
    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    String wait = System.getenv("OMP_WAIT_POLICY");
                    return l.substring(l.indexOf(':') + 1).trim() + (wait == null ? "" : ", OMP_WAIT_POLICY=" + wait);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.name");
    }
}
