package io.latentwatch.tuning;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.latentwatch.model.DipVae;
import io.latentwatch.training.DipVaeTrainer;

/**
 * A fine-tuned candidate, still in memory: the network on the fine-tuner's device and what the run did. Owns the
 * network's arrays: close it once the candidate is written to the registry or refused.
 */
public final class FineTuneResult implements AutoCloseable {

    private final NDManager manager;
    private final DipVae candidate;
    private final int stepsRun;
    private final int stepsRequested;
    private final int batchSize;
    private final float learningRate;
    private final long seed;
    private final int frames;
    private final DipVaeTrainer.StepLoss firstLoss;
    private final DipVaeTrainer.StepLoss lastLoss;
    private final double seconds;

    FineTuneResult(NDManager manager, DipVae candidate, int stepsRun, int stepsRequested, int batchSize, float learningRate,
            long seed, int frames, DipVaeTrainer.StepLoss firstLoss, DipVaeTrainer.StepLoss lastLoss, double seconds) {
        this.manager = manager;
        this.candidate = candidate;
        this.stepsRun = stepsRun;
        this.stepsRequested = stepsRequested;
        this.batchSize = batchSize;
        this.learningRate = learningRate;
        this.seed = seed;
        this.frames = frames;
        this.firstLoss = firstLoss;
        this.lastLoss = lastLoss;
        this.seconds = seconds;
    }

    /** The fine-tuned network (train-mode BatchNorm statistics updated by the steps). */
    public DipVae candidate() {
        return candidate;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Steps taken: the steps asked for, or fewer if a loss stopped being finite. */
    public int stepsRun() {
        return stepsRun;
    }

    public int stepsRequested() {
        return stepsRequested;
    }

    /** Whether a step's loss was not finite (the run stopped there; the candidate is almost surely broken). */
    public boolean diverged() {
        return !Double.isFinite(lastLoss.total);
    }

    /** Full DIP loss of the first step's batch (train mode, before its update): where the serving weights start. */
    public DipVaeTrainer.StepLoss firstLoss() {
        return firstLoss;
    }

    /** Full DIP loss of the last step's batch (train mode, before its update). */
    public DipVaeTrainer.StepLoss lastLoss() {
        return lastLoss;
    }

    public double seconds() {
        return seconds;
    }

    /** The run as model.json's {@code training} object of a fine-tuned version (non-finite numbers as null). */
    public JsonObject summary() {
        JsonObject o = new JsonObject();
        o.addProperty("source", "latentwatch fine-tune");
        o.addProperty("loss", "dip (full, train mode)");
        o.addProperty("frames", frames);
        o.addProperty("steps", stepsRun);
        o.addProperty("steps_requested", stepsRequested);
        o.addProperty("batch_size", batchSize);
        o.addProperty("optimizer", "adam");
        o.addProperty("learning_rate", learningRate);
        o.addProperty("seed", seed);
        o.addProperty("device", device().toString());
        o.add("first_loss", lossJson(firstLoss));
        o.add("final_loss", lossJson(lastLoss));
        o.addProperty("duration_seconds", Math.round(seconds * 100) / 100.0);
        return o;
    }

    private static JsonObject lossJson(DipVaeTrainer.StepLoss loss) {
        JsonObject o = new JsonObject();
        put(o, "total", loss.total);
        put(o, "recons", loss.recons);
        put(o, "kld", loss.kld);
        put(o, "dip_offdiag", loss.offDiagonal);
        put(o, "dip_diag", loss.diagonal);
        return o;
    }

    /** Adds a number, or null when it is not finite (JSON has no NaN). */
    static void put(JsonObject o, String key, double value) {
        if (Double.isFinite(value)) {
            o.addProperty(key, value);
        } else {
            o.add(key, JsonNull.INSTANCE);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
