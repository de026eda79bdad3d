package io.latentwatch.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.tracker.Tracker;
import io.latentwatch.model.DipLoss;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.EngineArrays;
import io.latentwatch.model.DipVaeConfig;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Optimisation steps of a DIP-VAE: train-mode forward, the full DIP loss, backward, Adam ({@link FlatAdam}). Each
 * step runs in its own NDManager scope (activations, gradient handles), closed at the end, so memory stays flat. Not
 * thread-safe.
 *
 * <p>A step on a batch already on the device ({@link #run}) queues its work and returns: nothing in it is made from
 * a Java value or read back, because on a GPU either waits for all queued work and leaves the card idle while the
 * host queues the next operation. Its loss terms stay on the device until {@link #lastLoss} or {@link #meanLoss}
 * reads them.
 */
public final class DipVaeTrainer {

    private final DipVae model;
    private final DipLoss loss;
    private final FlatAdam optimizer;
    private final NDManager manager;
    /** The latest step's loss terms and their sum since the last {@link #meanLoss}, on the device. */
    private NDArray lastTerms;
    private NDArray termSums;
    private int stepsSummed;

    /**
     * @param model an initialised model; its parameters are updated in place
     * @param manager the manager the model's parameters live in (its device is where steps run)
     * @param learningRate Adam's step size
     */
    public DipVaeTrainer(DipVae model, NDManager manager, Tracker learningRate) {
        this.model = model;
        this.manager = manager;
        this.loss = DipLoss.of(model.getConfig());
        List<NDArray> trainable = new ArrayList<>();
        for (Parameter p : model.stateDict().values()) {
            p.getArray().setRequiresGradient(p.requiresGradient());
            if (p.requiresGradient()) {
                trainable.add(p.getArray());
            }
        }
        this.optimizer = new FlatAdam(trainable, learningRate, manager);
    }

    /** Loss terms read back to the host: of one step, or the mean over several. */
    public static final class StepLoss {
        public final double recons;
        public final double kld;
        public final double offDiagonal;
        public final double diagonal;
        public final double total;

        StepLoss(float[] v, int steps) {
            recons = v[0] / steps;
            kld = v[1] / steps;
            offDiagonal = v[2] / steps;
            diagonal = v[3] / steps;
            total = v[4] / steps;
        }
    }

    /**
     * One Adam step on a batch from the host, its loss read back (a round trip per step; {@link #run} avoids it).
     *
     * @param pixels frames, in_channels × image_size × image_size values each, in [−1, 1]
     * @param count frames in the batch (at least 2: the DIP term needs a covariance)
     */
    public StepLoss step(float[] pixels, int count) {
        checkBatch(count);
        DipVaeConfig c = model.getConfig();
        try (NDManager scope = manager.newSubManager()) {
            // autograd keeps the input until backward: engine memory, not a buffer create() aliases (EngineArrays)
            run(EngineArrays.copyOf(scope, FloatBuffer.wrap(pixels, 0, count * c.frameValues()), model.inputShape(count)));
        }
        return lastLoss();
    }

    /**
     * One Adam step on a batch on this trainer's device, queued without waiting for the device; the batch stays its
     * caller's.
     *
     * @param batch shape (count, in_channels, image_size, image_size), values in [−1, 1], count ≥ 2
     */
    public void run(NDArray batch) {
        checkBatch(batch.getShape().get(0));
        try (NDManager scope = manager.newSubManager()) {
            // what the forward pass derives from the batch lands in the batch's manager: lend it to the scope
            batch.tempAttach(scope);
            NDArray terms;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = model.forward(new ParameterStore(scope, false), new NDList(batch), true);
                DipLoss.Terms t = loss.compute(out.get(0), batch, out.get(1), out.get(2));
                gc.backward(t.total);
                terms = NDArrays.stack(new NDList(t.recons, t.kld, t.offDiagonalSquaredSum, t.diagonalDeviationSquaredSum, t.total))
                        .stopGradient();
            }
            optimizer.update(scope);
            keep(terms);
        }
    }

    /** The loss terms of the latest step (waits for it). */
    public StepLoss lastLoss() {
        if (lastTerms == null) {
            throw new IllegalStateException("no step has run yet");
        }
        return new StepLoss(lastTerms.toFloatArray(), 1);
    }

    /** The mean loss terms of the steps since the previous call (waits for them); starts a new mean. */
    public StepLoss meanLoss() {
        if (stepsSummed == 0) {
            throw new IllegalStateException("no step has run since the last mean");
        }
        StepLoss mean = new StepLoss(termSums.toFloatArray(), stepsSummed);
        termSums.close(); // not zeroed in place: a NaN would stay
        termSums = null;
        stepsSummed = 0;
        return mean;
    }

    private void keep(NDArray terms) {
        terms.attach(manager);
        if (lastTerms != null) {
            lastTerms.close();
        }
        lastTerms = terms;
        if (termSums == null) {
            termSums = terms.zerosLike();
        }
        termSums.addi(terms);
        stepsSummed++;
    }

    private static void checkBatch(long count) {
        if (count < 2) {
            throw new IllegalArgumentException("a training batch needs at least 2 frames, got " + count);
        }
    }
}
