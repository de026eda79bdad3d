package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.BatchNorm2d} with PyTorch's names (weight, bias, running_mean, running_var,
 * num_batches_tracked) and semantics: momentum 0.1 on the running statistics, which the engine updates in place
 * during a training forward. DJL's own BatchNorm reaches the same kernel but swaps axes around it.
 */
public final class BatchNorm2d extends AbstractBlock {

    private static final byte VERSION = 1;
    /** DJL's convention (PyTorch's 0.1 is 1 − this). */
    private static final float DJL_MOMENTUM = 0.9f;

    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private long numBatchesTracked;

    public BatchNorm2d(float eps) {
        super(VERSION);
        this.eps = eps;
        gamma = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
        beta = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BETA).build());
        runningMean =
                addParameter(
                        Parameter.builder()
                                .setName("running_mean")
                                .setType(Parameter.Type.RUNNING_MEAN)
                                .optRequiresGrad(false)
                                .build());
        runningVar =
                addParameter(
                        Parameter.builder()
                                .setName("running_var")
                                .setType(Parameter.Type.RUNNING_VAR)
                                .optRequiresGrad(false)
                                .build());
    }

    public Parameter getGamma() {
        return gamma;
    }

    public Parameter getBeta() {
        return beta;
    }

    public Parameter getRunningMean() {
        return runningMean;
    }

    public Parameter getRunningVar() {
        return runningVar;
    }

    public float getEps() {
        return eps;
    }

    /** PyTorch's counter of training batches, saved in the state_dict. */
    public long getNumBatchesTracked() {
        return numBatchesTracked;
    }

    public void setNumBatchesTracked(long value) {
        numBatchesTracked = value;
    }

    /** {@inheritDoc} */
    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape c = new Shape(inputShapes[0].get(1));
        gamma.setShape(c);
        beta.setShape(c);
        runningMean.setShape(c);
        runningVar.setShape(c);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** Input and output of shape (batch, channels, H, W). */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray g = parameterStore.getValue(gamma, x.getDevice(), training);
        NDArray b = parameterStore.getValue(beta, x.getDevice(), training);
        NDArray mean = parameterStore.getValue(runningMean, x.getDevice(), training);
        NDArray var = parameterStore.getValue(runningVar, x.getDevice(), training);
        if (training) {
            numBatchesTracked++;
        }
        // axis -1 selects the engine's native channel-first path (no axis swapping)
        return x.getNDArrayInternal().batchNorm(x, mean, var, g, b, -1, DJL_MOMENTUM, eps, training);
    }
}
