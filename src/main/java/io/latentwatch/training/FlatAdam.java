package io.latentwatch.training;

import static io.latentwatch.model.EngineArrays.scalar;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.tracker.Tracker;
import java.util.List;

/**
 * Adam over all trainable parameters at once. DJL's {@code Adam} runs about a dozen engine operations per parameter
 * and step (some of them only copy or add zero): some 600 kernel launches per step for the default DIP-VAE's 48
 * arrays, and on a GPU each launch costs host time whatever the array's size. Here the gradients are gathered into one
 * flat array, the moments and the step are computed there, and each parameter takes its slice: about a dozen
 * operations, plus one subtraction and one gradient reset per parameter.
 *
 * <p>The update is DJL's (MXNet's form, with ε added to √v and the bias corrections folded into the step size:
 * w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)), so training follows the same path as with DJL's optimiser. Not
 * thread-safe.
 */
final class FlatAdam {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final List<NDArray> weights;
    private final NDArray[] weightData;
    private final long[] splitPoints;
    private final Tracker learningRate;
    private final NDArray beta1;
    private final NDArray oneMinusBeta1;
    private final NDArray beta2;
    private final NDArray oneMinusBeta2;
    private final NDArray epsilon;
    private NDArray mean;
    private NDArray variance;
    private int updates;

    /**
     * @param weights the trainable arrays, all of one type on one device, each with a gradient after backward
     * @param manager owns the optimiser's state (the parameters' manager: it lives as long as they do)
     */
    FlatAdam(List<NDArray> weights, Tracker learningRate, NDManager manager) {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("no trainable parameters");
        }
        this.weights = weights;
        this.learningRate = learningRate;
        weightData = new NDArray[weights.size()];
        splitPoints = new long[weights.size() - 1];
        long offset = 0;
        for (int i = 0; i < weights.size(); i++) {
            // the weight's storage without its autograd identity: updated in place like PyTorch's p.data
            weightData[i] = weights.get(i).stopGradient();
            weightData[i].attach(manager);
            offset += weights.get(i).size();
            if (i < splitPoints.length) {
                splitPoints[i] = offset;
            }
        }
        NDArray like = weights.get(0);
        beta1 = attached(scalar(like, BETA1), manager);
        oneMinusBeta1 = attached(scalar(like, 1 - BETA1), manager);
        beta2 = attached(scalar(like, BETA2), manager);
        oneMinusBeta2 = attached(scalar(like, 1 - BETA2), manager);
        epsilon = attached(scalar(like, EPSILON), manager);
        mean = attached(like.getManager().zeros(new Shape(offset), like.getDataType()), manager);
        variance = attached(mean.zerosLike(), manager);
    }

    private static NDArray attached(NDArray a, NDManager manager) {
        a.attach(manager);
        return a;
    }

    /**
     * One update from the gradients the last backward left, which are then reset to zero.
     *
     * @param scope owns the temporaries (the caller's per-step manager)
     */
    void update(NDManager scope) {
        updates++;
        double coef1 = 1 - Math.pow(BETA1, updates);
        double coef2 = 1 - Math.pow(BETA2, updates);
        float stepSize = (float) (learningRate.getNewValue(updates) * Math.sqrt(coef2) / coef1);
        if (!Float.isFinite(stepSize)) {
            throw new IllegalStateException("learning rate is not finite at update " + updates + ": " + stepSize);
        }
        NDList gradients = new NDList(weights.size());
        for (NDArray w : weights) {
            NDArray g = w.getGradient();
            g.attach(scope); // the handle, not the gradient storage, which the parameter keeps
            gradients.add(g.reshape(-1));
        }
        NDArray g = NDArrays.concat(gradients); // in the scope, as the gradient handles are
        mean.muli(beta1).addi(g.mul(oneMinusBeta1));
        variance.muli(beta2).addi(g.square().muli(oneMinusBeta2));
        // results land in their first operand's manager: the long-lived state's, so hand each to the scope
        NDArray denominator = attached(variance.sqrt(), scope).addi(epsilon);
        NDArray step = attached(mean.mul(scalar(g, stepSize)), scope).divi(denominator);
        NDList slices = step.split(splitPoints);
        for (int i = 0; i < weightData.length; i++) {
            weightData[i].subi(slices.get(i).reshape(weightData[i].getShape()));
            JniUtils.zeroGrad((PtNDArray) weights.get(i)); // backward adds to the gradient it finds
        }
    }
}
