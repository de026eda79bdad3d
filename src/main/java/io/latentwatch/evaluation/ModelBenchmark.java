package io.latentwatch.evaluation;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.cuda.CudaUtils;
import io.latentwatch.model.Devices;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.EngineArrays;
import io.latentwatch.model.FusedDipVae;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ReconstructionMap;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.MapCalibration;
import io.latentwatch.scoring.PixelStatistics;
import io.latentwatch.training.DipVaeTrainer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Measures eval-mode scoring (encode → μ → decode → per-frame mse, copied to the host) in frames/s, and in the same
 * run the engine's own sgemm rate as the roofline, the plain Block forward as a baseline, optionally the
 * fine-tune step rate and a memory soak. Every figure is a row of key/value pairs.
 */
public final class ModelBenchmark {

    private final DipVae model;
    private final Device device;
    private final double secondsPerPoint;
    private final List<Map<String, Object>> rows = new ArrayList<>();
    private final java.util.function.Consumer<Map<String, Object>> sink;

    public ModelBenchmark(DipVae model, Device device, double secondsPerPoint, java.util.function.Consumer<Map<String, Object>> sink) {
        this.model = model;
        this.device = device;
        this.secondsPerPoint = secondsPerPoint;
        this.sink = sink;
    }

    public List<Map<String, Object>> rows() {
        return rows;
    }

    private Map<String, Object> emit(Map<String, Object> row) {
        rows.add(row);
        sink.accept(row);
        return row;
    }

    /** Runs {@code body} (one iteration per call) for at least the configured time; returns iterations per second. */
    private double rate(IntConsumer body) {
        return rate(body, () -> { });
    }

    /**
     * As {@link #rate(IntConsumer)} for a body that queues work without waiting for it: {@code drain} waits for the
     * device, after the warm-up and before the clock stops.
     */
    private double rate(IntConsumer body, Runnable drain) {
        body.accept(-2);
        body.accept(-1); // warm-up: allocator, kernel selection
        drain.run();
        long start = System.nanoTime();
        long deadline = start + (long) (secondsPerPoint * 1e9);
        int n = 0;
        while (n < 3 || System.nanoTime() < deadline) {
            body.accept(n++);
        }
        drain.run();
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /** The engine's float32 matrix-multiply rate on this device: the roofline the model is compared with. */
    public double sgemm() {
        int n = device.isGpu() ? 8192 : 1024;
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            double perSecond = rate(i -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray c = a.matMul(b);
                    c.attach(s);
                    c.get(0, 0).getFloat(); // waits for the device
                }
            });
            double gflops = perSecond * 2.0 * n * n * n / 1e9;
            Map<String, Object> row = row("sgemm");
            row.put("n", n);
            row.put("gflops", round(gflops));
            emit(row);
            return gflops;
        }
    }

    /**
     * Scoring frames/s at each batch size with the fused eval-mode snapshot, twice: with the frames already on the
     * device (as PyTorch baselines usually measure) and with the frames uploaded from the host each batch (as the
     * streaming scorer runs). Both copy the scores back to the host.
     */
    public void scoring(int[] batchSizes, DataType precision, MemoryLayout layout, double roofline) {
        DipVaeConfig c = model.getConfig();
        try (NDManager m = NDManager.newBaseManager(device);
                FusedDipVae fused = FusedDipVae.of(model, m, precision, layout);
                BatchScorer scorer = new BatchScorer(model, device, precision, layout, "mse");
                BatchScorer mapScorer = new BatchScorer(model, device, precision, layout, AnomalyScore.mse(), benchmarkMaps(c))) {
            for (int batch : batchSizes) {
                float[] frames = randomFrames(batch, c);
                NDArray onDevice = layout.arrange(m.create(frames, model.inputShape(batch)));
                double resident = batch * rate(i -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray x = onDevice.get(":"); // a view owned by the batch scope
                        x.attach(s);
                        fused.score(x).toFloatArray();
                    }
                });
                emit(scoringRow("device", layout, precision, batch, resident, c, fused.flopsPerFrame(), roofline));
                double uploaded = batch * rate(i -> scorer.score(frames, batch));
                emit(scoringRow("host", layout, precision, batch, uploaded, c, fused.flopsPerFrame(), roofline));
                // with anomaly maps (measured, standardised, their peaks, top-k and regions found), in the same run
                double mapped = batch * rate(i -> mapScorer.score(frames, batch));
                Map<String, Object> row = scoringRow("host", layout, precision, batch, mapped, c, fused.flopsPerFrame(), roofline);
                row.put("maps", mapScorer.getMaps().map().toString());
                row.put("vs_without_maps", round(mapped / uploaded));
                emit(row);
                onDevice.close();
            }
        }
    }

    /** The default anomaly maps, with statistics of random maps (their values do not change the cost). */
    private static MapCalibration benchmarkMaps(DipVaeConfig c) {
        PixelStatistics.Accumulator acc = new PixelStatistics.Accumulator(c.imageSize());
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 2; i++) {
            float[] v = new float[c.imageSize() * c.imageSize()];
            for (int j = 0; j < v.length; j++) {
                v[j] = r.nextFloat();
            }
            acc.add(v);
        }
        return MapCalibration.uncalibrated(new ReconstructionMap(ReconstructionMap.Kind.L2, MapCalibration.DEFAULT_SIGMA), MapCalibration.DEFAULT_TOP_K)
                .withStats(acc.build()).withThreshold(3);
    }

    private Map<String, Object> scoringRow(
            String input, MemoryLayout layout, DataType precision, int batch, double fps, DipVaeConfig c, double executedFlops, double roofline) {
        Map<String, Object> row = row("scoring");
        row.put("path", "fused");
        row.put("input", input);
        row.put("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
        row.put("precision", name(precision));
        row.put("batch", batch);
        row.put("frames_per_s", round(fps));
        double gflops = fps * c.flopsPerFrame() / 1e9;
        row.put("gflops", round(gflops));
        row.put("roofline_fraction", round(gflops / roofline));
        row.put("executed_roofline_fraction", round(fps * executedFlops / 1e9 / roofline));
        return row;
    }

    /** The plain Block forward in eval mode (BatchNorm not folded, phase kernels rebuilt per call): the baseline. */
    public void blockBaseline(int batch) {
        DipVaeConfig c = model.getConfig();
        float[] frames = randomFrames(batch, c);
        try (NDManager m = NDManager.newBaseManager(device)) {
            double fps = batch * rate(i -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray x = s.create(frames, model.inputShape(batch));
                    NDList out = model.forward(new ParameterStore(s, false), new NDList(x), false);
                    out.get(0).sub(x).square().reshape(batch, -1).mean(new int[] {1}).reshape(batch, 1).concat(out.get(1), 1).toFloatArray();
                }
            });
            Map<String, Object> row = row("scoring");
            row.put("path", "block");
            row.put("input", "host");
            row.put("layout", "nchw");
            row.put("precision", "fp32");
            row.put("batch", batch);
            row.put("frames_per_s", round(fps));
            emit(row);
        }
    }

    /**
     * Fine-tune frames/s (train-mode forward, full DIP loss, backward, Adam) at each batch size, twice: with the batch
     * already on the device and the loss read once at the end (as PyTorch baselines measure, and as the fine-tuner
     * runs), and with each batch uploaded from the host and its loss read back after every step (a round trip per
     * step: the baseline).
     */
    public void training(int[] batchSizes, NDManager modelManager) {
        DipVaeConfig c = model.getConfig();
        DipVaeTrainer trainer = new DipVaeTrainer(model, modelManager, Tracker.fixed(1e-4f));
        for (int batch : batchSizes) {
            float[] frames = randomFrames(batch, c);
            try (NDManager m = modelManager.newSubManager()) {
                NDArray onDevice = EngineArrays.copyOf(m, frames, model.inputShape(batch));
                double resident = batch * rate(i -> trainer.run(onDevice), trainer::lastLoss);
                emit(trainingRow("device", batch, resident));
            }
            double uploaded = batch * rate(i -> trainer.step(frames, batch));
            emit(trainingRow("host", batch, uploaded));
        }
    }

    /**
     * Milliseconds per training step of a model of the default depth but 2 channels a layer and a latent of 2, at
     * batch 2 on the device: next to nothing to compute, so what it measures is the cost of issuing a step's
     * operations from Java (on a GPU, JNI calls and kernel launches), the floor under every step at small batches.
     * {@code scripts/ref_fp16.py} measures the same model in PyTorch eager.
     */
    public void trainingStepOverhead() {
        DipVaeConfig c = model.getConfig().toBuilder().latentDim(2).hiddenDims(2, 2, 2, 2, 2).imageSize(64).build();
        try (NDManager m = NDManager.newBaseManager(device)) {
            DipVae tiny = new DipVae(c).initialize(m);
            DipVaeTrainer trainer = new DipVaeTrainer(tiny, m, Tracker.fixed(1e-4f));
            NDArray batch = EngineArrays.copyOf(m, randomFrames(2, c), tiny.inputShape(2));
            double stepsPerSecond = rate(i -> trainer.run(batch), trainer::lastLoss);
            Map<String, Object> row = row("training_step_overhead");
            row.put("model", "hidden 2x5, latent 2, " + c.inChannels() + "x64x64");
            row.put("batch", 2);
            row.put("ms_per_step", round(1000 / stepsPerSecond));
            emit(row);
        }
    }

    private Map<String, Object> trainingRow(String input, int batch, double fps) {
        Map<String, Object> row = row("training");
        row.put("input", input);
        row.put("precision", "fp32");
        row.put("batch", batch);
        row.put("frames_per_s", round(fps));
        return row;
    }

    /**
     * Scoring frames/s (fused snapshot, frames from the host, as the streaming scorer runs) alone, then while a
     * second thread runs fine-tune steps on the same device without pause, as a job whose scorer and fine-tuner share
     * a GPU (or the CPU's cores) does; the fine-tune rate is measured over the same time.
     */
    public void scoringWhileFineTuning(int batch, int trainBatch, DataType precision, MemoryLayout layout) {
        DipVaeConfig c = model.getConfig();
        float[] frames = randomFrames(batch, c);
        try (BatchScorer scorer = new BatchScorer(model, device, precision, layout, "mse");
                NDManager tuning = NDManager.newBaseManager(device)) {
            double alone = batch * rate(i -> scorer.score(frames, batch));
            DipVae copy = new DipVae(c).initialize(tuning); // a fine-tune's candidate: its own weights, same device
            DipVaeTrainer trainer = new DipVaeTrainer(copy, tuning, Tracker.fixed(1e-4f));
            NDArray trainFrames = EngineArrays.copyOf(tuning, randomFrames(trainBatch, c), copy.inputShape(trainBatch));
            trainer.run(trainFrames); // optimiser state before the clock starts
            trainer.lastLoss();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong steps = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread tuner = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        trainer.run(trainFrames);
                        if (steps.incrementAndGet() % 8 == 0) {
                            trainer.lastLoss(); // as the fine-tuner checks its loss: keeps the queue from running ahead
                        }
                    }
                    trainer.lastLoss();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "fine-tune-benchmark");
            long start = System.nanoTime();
            tuner.start();
            double shared;
            try {
                shared = batch * rate(i -> scorer.score(frames, batch));
            } finally {
                stop.set(true);
                try {
                    tuner.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (failure.get() != null) {
                throw new IllegalStateException("the fine-tune thread failed: " + failure.get(), failure.get());
            }
            Map<String, Object> row = row("scoring_while_fine_tuning");
            row.put("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
            row.put("precision", name(precision));
            row.put("batch", batch);
            row.put("train_batch", trainBatch);
            row.put("scoring_frames_per_s_alone", round(alone));
            row.put("scoring_frames_per_s", round(shared));
            row.put("scoring_ratio", round(shared / alone));
            row.put("fine_tune_frames_per_s", round(steps.get() * trainBatch / seconds));
            emit(row);
        }
    }

    /** Scores {@code batches} batches and reports host and device memory before and after. */
    public void soak(int batches, int batch, DataType precision, MemoryLayout layout) {
        DipVaeConfig c = model.getConfig();
        float[] frames = randomFrames(batch, c);
        try (BatchScorer scorer = new BatchScorer(model, device, precision, layout, "mse")) {
            for (int i = 0; i < 20; i++) {
                scorer.score(frames, batch);
            }
            Map<String, Object> row = row("memory");
            row.put("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
            row.put("precision", name(precision));
            row.put("batch", batch);
            row.put("batches", batches);
            row.put("rss_mb_before", rssMb());
            row.put("gpu_mb_before", gpuMb());
            long start = System.nanoTime();
            for (int i = 0; i < batches; i++) {
                scorer.score(frames, batch);
            }
            row.put("frames_per_s", round(batches * (double) batch / ((System.nanoTime() - start) / 1e9)));
            row.put("rss_mb_after", rssMb());
            row.put("gpu_mb_after", gpuMb());
            emit(row);
        }
    }

    private Map<String, Object> row(String kind) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("benchmark", kind);
        row.put("device", device.toString());
        return row;
    }

    private static String name(DataType t) {
        return t == DataType.FLOAT32 ? "fp32" : "fp16";
    }

    static float[] randomFrames(int batch, DipVaeConfig c) {
        Random r = new Random(42);
        float[] f = new float[batch * c.frameValues()];
        for (int i = 0; i < f.length; i++) {
            f[i] = r.nextFloat() * 2 - 1;
        }
        return f;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** Resident set size of this process in MiB (Linux), or the JVM heap in use elsewhere. */
    static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: fall through
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }

    /** Device memory in use in MiB, or -1 on the CPU. */
    long gpuMb() {
        if (!device.isGpu()) {
            return -1;
        }
        try {
            return CudaUtils.getGpuMemory(device).getCommitted() >> 20; // device-wide use, as nvidia-smi shows it
        } catch (RuntimeException | LinkageError e) {
            return -1; // the CUDA runtime is not reachable from Java here; the scores are still right
        }
    }

    /** Describes the engine and machine for the report. */
    public static String environment(Device device) {
        Engine e = Engine.getInstance();
        String tuning = device.isGpu() ? ", cuDNN autotuning " + (Devices.tunesConvolutions(device) ? "on" : "off") : "";
        return e.getEngineName() + " " + e.getVersion() + " on " + device + tuning + ", " + Runtime.getRuntime().availableProcessors()
                + " CPU cores, " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }
}
