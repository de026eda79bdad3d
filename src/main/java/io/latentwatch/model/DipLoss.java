package io.latentwatch.model;

import static io.latentwatch.model.EngineArrays.scalar;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The paper-correct DIP-VAE loss of DESIGN.md (Kumar et al., ICLR 2018), each term available on its own.
 * PyTorch-VAE's version centres μ over the wrong axis, never divides the covariance by the batch, uses σ⁴ and adds
 * one scalar to every entry; none of that is reproduced.
 *
 * <p>For a batch of B frames: loss = recons + kld_weight·kld + λ_offdiag·Σ_{i≠j} C_ij² + λ_diag·Σ_i (C_ii − 1)².
 *
 * <p>Constants are made on the device ({@link EngineArrays#scalar}, {@code eye}), never from a Java number: DJL's
 * {@code add(Number)} stages the number in host memory, and on a GPU that copy waits for all queued work.
 */
public final class DipLoss {

    private final float kldWeight;
    private final float lambdaDiag;
    private final float lambdaOffdiag;
    private final DipType dipType;

    public DipLoss(float kldWeight, float lambdaDiag, float lambdaOffdiag, DipType dipType) {
        this.kldWeight = kldWeight;
        this.lambdaDiag = lambdaDiag;
        this.lambdaOffdiag = lambdaOffdiag;
        this.dipType = dipType;
    }

    /** The loss weights and DIP type of a model config. */
    public static DipLoss of(DipVaeConfig config) {
        return new DipLoss(config.kldWeight(), config.lambdaDiag(), config.lambdaOffdiag(), config.dipType());
    }

    /** The same weights with another DIP type. */
    public DipLoss withType(DipType type) {
        return new DipLoss(kldWeight, lambdaDiag, lambdaOffdiag, type);
    }

    public DipType dipType() {
        return dipType;
    }

    /**
     * All terms of the loss for one batch.
     *
     * @param recon reconstruction, shape (B, C, H, W)
     * @param x input, shape (B, C, H, W)
     * @param mu posterior means, shape (B, latent)
     * @param logVar posterior log-variances, shape (B, latent)
     */
    public Terms compute(NDArray recon, NDArray x, NDArray mu, NDArray logVar) {
        NDArray rec = reconstruction(recon, x);
        NDArray kld = kld(mu, logVar);
        NDArray cov = covariance(mu, logVar, dipType);
        NDArray off = offDiagonalSquaredSum(cov);
        NDArray diag = diagonalDeviationSquaredSum(cov);
        NDArray total = rec.add(kld.mul(scalar(kld, kldWeight))).add(off.mul(scalar(off, lambdaOffdiag))).add(diag.mul(scalar(diag, lambdaDiag)));
        return new Terms(rec, kld, off, diag, total);
    }

    /** Σ over pixels of (x̂ − x)², averaged over the batch; a scalar. */
    public static NDArray reconstruction(NDArray recon, NDArray x) {
        long batch = x.getShape().get(0);
        NDArray sum = recon.sub(x).square().sum();
        return sum.div(scalar(sum, batch));
    }

    /** Mean over the batch of −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j); a scalar. */
    public static NDArray kld(NDArray mu, NDArray logVar) {
        return klPerFrame(mu, logVar).mean();
    }

    /** −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j) for each frame, shape (B). */
    public static NDArray klPerFrame(NDArray mu, NDArray logVar) {
        NDArray sum = logVar.add(scalar(logVar, 1)).sub(mu.square()).sub(logVar.exp()).sum(new int[] {1});
        return sum.mul(scalar(sum, -0.5));
    }

    /**
     * The covariance the DIP term regularises, shape (latent, latent): Cov[μ] = (1/B) Σ_b (μ_b − μ̄)(μ_b − μ̄)ᵀ
     * for DIP-I, plus diag(mean_b σ²_b) for DIP-II.
     */
    public static NDArray covariance(NDArray mu, NDArray logVar, DipType type) {
        long batch = mu.getShape().get(0);
        NDArray centred = mu.sub(mu.mean(new int[] {0}, true));
        NDArray products = centred.transpose().matMul(centred);
        NDArray cov = products.div(scalar(products, batch));
        if (type == DipType.II) {
            NDArray meanVar = logVar.exp().mean(new int[] {0}); // (latent)
            cov = cov.add(eye(cov).mul(meanVar));
        }
        return cov;
    }

    /** Σ_{i≠j} C_ij². */
    public static NDArray offDiagonalSquaredSum(NDArray cov) {
        NDArray offDiagonal = cov.mul(scalar(cov, 1).sub(eye(cov)));
        return offDiagonal.square().sum();
    }

    /** Σ_i (C_ii − 1)². */
    public static NDArray diagonalDeviationSquaredSum(NDArray cov) {
        NDArray diagonal = cov.mul(eye(cov)).sum(new int[] {1});
        return diagonal.sub(scalar(diagonal, 1)).square().sum();
    }

    private static NDArray eye(NDArray like) {
        NDManager manager = like.getManager();
        return manager.eye((int) like.getShape().get(0)).toType(like.getDataType(), false).toDevice(like.getDevice(), false);
    }

    /** The loss parts of one batch, each a scalar NDArray; {@code total} is the one to differentiate. */
    public static final class Terms {
        public final NDArray recons;
        public final NDArray kld;
        public final NDArray offDiagonalSquaredSum;
        public final NDArray diagonalDeviationSquaredSum;
        public final NDArray total;

        Terms(NDArray recons, NDArray kld, NDArray off, NDArray diag, NDArray total) {
            this.recons = recons;
            this.kld = kld;
            this.offDiagonalSquaredSum = off;
            this.diagonalDeviationSquaredSum = diag;
            this.total = total;
        }
    }
}
