package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import io.latentwatch.evaluation.ModelBenchmark;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelDirectory;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch benchmark model */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description = {
            "Frames/s of eval-mode scoring (encode -> mu -> decode -> per-frame mse, copied to the host) per batch size and precision,",
            "with the engine's own sgemm GFLOP/s and the achieved fraction of that roofline, the plain Block forward as a baseline,",
            "and optionally the fine-tune step rate, scoring while a fine-tune shares the device, and a memory soak."
        })
final class BenchmarkModelCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "model directory (default: PyTorch-VAE's default config, 3x64x64, latent 128, random weights)")
    Path model;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,16,64,256", description = "default: ${DEFAULT-VALUE}")
    int[] batchSizes;

    @Mixin DeviceOption deviceOption;

    @Option(names = "--precisions", split = ",", defaultValue = "fp32", description = "fp32,fp16 (fp16 needs a GPU; default: ${DEFAULT-VALUE})")
    String[] precisions;

    @Option(names = "--layouts", split = ",", defaultValue = "nhwc", description = "activation layouts to measure: nhwc,nchw (default: ${DEFAULT-VALUE})")
    String[] layouts;

    @Option(names = "--seconds", defaultValue = "3", description = "measuring time per figure (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--train-batch-sizes", split = ",",
            description = "also measure fine-tune steps (forward + DIP loss + backward + Adam) at these batch sizes, and the time of a step of a tiny model (the cost of issuing a step)")
    int[] trainBatchSizes;

    @Option(names = "--alongside-fine-tune-batch", description = "also measure scoring while a second thread fine-tunes on the same device, with fine-tune batches of this size")
    Integer alongsideFineTuneBatch;

    @Option(names = "--alongside-scoring-batch", defaultValue = "256", description = "scoring batch for --alongside-fine-tune-batch (first precision and layout; default: ${DEFAULT-VALUE})")
    int alongsideScoringBatch;

    @Option(names = "--soak-batches", defaultValue = "0", description = "also score this many batches (first precision and layout) and print host/GPU memory before and after")
    int soakBatches;

    @Option(names = "--soak-batch-size", defaultValue = "64", description = "frames per soak batch (default: ${DEFAULT-VALUE})")
    int soakBatchSize;

    @Option(names = "--json", description = "also write every figure as a JSON line to this file")
    Path json;

    @Override
    public Integer call() throws Exception {
        for (int b : batchSizes) {
            if (b < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--batch-sizes must be positive, got " + b);
            }
        }
        if (trainBatchSizes != null) {
            for (int b : trainBatchSizes) {
                if (b < 2) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--train-batch-sizes must be at least 2 (the DIP term needs a covariance), got " + b);
                }
            }
        }
        if (alongsideFineTuneBatch != null && alongsideFineTuneBatch < 2) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--alongside-fine-tune-batch must be at least 2 (the DIP term needs a covariance), got " + alongsideFineTuneBatch);
        }
        if (alongsideScoringBatch < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--alongside-scoring-batch must be positive, got " + alongsideScoringBatch);
        }
        if (seconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--seconds must be positive, got " + seconds);
        }
        Device dev = deviceOption.device();
        DataType[] types = new DataType[precisions.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = Devices.precision(precisions[i], dev);
        }
        MemoryLayout[] memoryLayouts = new MemoryLayout[layouts.length];
        for (int i = 0; i < layouts.length; i++) {
            memoryLayouts[i] = MemoryLayout.parse(layouts[i]);
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        Gson gson = new Gson();
        try (NDManager manager = NDManager.newBaseManager(dev);
                Writer jsonSink = json == null ? null : Files.newBufferedWriter(json, StandardCharsets.UTF_8)) {
            DipVae net;
            if (model != null) {
                net = ModelDirectory.read(model, manager).model;
            } else {
                Engine.getInstance().setRandomSeed(1);
                net = new DipVae(DipVaeConfig.defaults()).initialize(manager);
            }
            DipVaeConfig c = net.getConfig();
            out.printf("# %s%n# model %s, %.4f GFLOP per frame%n", ModelBenchmark.environment(dev), c, c.flopsPerFrame() / 1e9);
            out.flush();
            ModelBenchmark bench = new ModelBenchmark(net, dev, seconds, row -> print(out, gson, jsonSink, row));
            double roofline = bench.sgemm();
            for (DataType t : types) {
                for (MemoryLayout l : memoryLayouts) {
                    bench.scoring(batchSizes, t, l, roofline);
                }
            }
            bench.blockBaseline(batchSizes[Math.min(2, batchSizes.length - 1)]);
            if (trainBatchSizes != null) {
                bench.training(trainBatchSizes, manager);
                bench.trainingStepOverhead();
            }
            if (alongsideFineTuneBatch != null) {
                bench.scoringWhileFineTuning(alongsideScoringBatch, alongsideFineTuneBatch, types[0], memoryLayouts[0]);
            }
            if (soakBatches > 0) {
                bench.soak(soakBatches, soakBatchSize, types[0], memoryLayouts[0]);
            }
        }
        return 0;
    }

    /** Prints a row as "key=value" pairs, and as a JSON line when {@code json} is given. */
    static void print(PrintWriter out, Gson gson, Writer json, Map<String, Object> row) {
        StringBuilder line = new StringBuilder();
        row.forEach((k, v) -> line.append(k).append('=').append(v).append("  "));
        out.println(line.toString().trim());
        out.flush();
        if (json != null) {
            try {
                json.write(gson.toJson(row) + "\n");
                json.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
