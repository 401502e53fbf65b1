/* Savitzky-Golay smoothing: coefficients from the least-squares fit. */
#include <emoscope/emotion.h>

#include <math.h>

#define SG_MAX_WINDOW 1001
#define SG_MAX_ORDER 10

/* Solves g v = b in place (n <= SG_MAX_ORDER + 1) by Gaussian elimination
 * with partial pivoting. */
static int solve(double g[SG_MAX_ORDER + 1][SG_MAX_ORDER + 1], double *b, int n)
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(g[r][col]) > fabs(g[piv][col]))
                piv = r;
        if (!(fabs(g[piv][col]) > 1e-300))
            return EMO_EINTERNAL;
        if (piv != col) {
            for (int k = 0; k < n; k++) {
                double t = g[col][k];
                g[col][k] = g[piv][k];
                g[piv][k] = t;
            }
            double t = b[col];
            b[col] = b[piv];
            b[piv] = t;
        }
        for (int r = col + 1; r < n; r++) {
            double f = g[r][col] / g[col][col];
            for (int k = col; k < n; k++)
                g[r][k] -= f * g[col][k];
            b[r] -= f * b[col];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < n; k++)
            s -= g[r][k] * b[k];
        b[r] = s / g[r][r];
    }
    return 0;
}

int emo_savgol_coeffs(int window, int order, int pos, double *c)
{
    if (!c || window < 1 || window > SG_MAX_WINDOW || !(window & 1) || order < 0 || order >= window ||
        order > SG_MAX_ORDER || pos < 0 || pos >= window)
        return EMO_EINVAL;
    int m = window / 2;
    if (m == 0) {
        c[0] = 1;
        return 0;
    }
    /* Sample positions scaled to [-1, 1] keep the normal equations well
     * conditioned; the fitted polynomial does not depend on the scaling. */
    int np = order + 1;
    double g[SG_MAX_ORDER + 1][SG_MAX_ORDER + 1] = { { 0 } };
    double pw[2 * SG_MAX_ORDER + 1] = { 0 };
    for (int i = 0; i < window; i++) {
        double x = (double)(i - m) / m, p = 1;
        for (int k = 0; k <= 2 * order; k++) {
            pw[k] += p;
            p *= x;
        }
    }
    for (int j = 0; j < np; j++)
        for (int l = 0; l < np; l++)
            g[j][l] = pw[j + l];
    /* Value at t of the fitted polynomial = tau' G^-1 A' y: solve G v = tau. */
    double v[SG_MAX_ORDER + 1];
    double t = (double)(pos - m) / m, p = 1;
    for (int j = 0; j < np; j++) {
        v[j] = p;
        p *= t;
    }
    int err = solve(g, v, np);
    if (err)
        return err;
    for (int i = 0; i < window; i++) {
        double x = (double)(i - m) / m, s = 0;
        p = 1;
        for (int j = 0; j < np; j++) {
            s += v[j] * p;
            p *= x;
        }
        c[i] = s;
    }
    return 0;
}

int emo_savgol_filter(const float *in, float *out, int n, int window, int order)
{
    if (!in || !out || n < 0 || window < 1 || window > SG_MAX_WINDOW || !(window & 1) || order < 0 ||
        order > SG_MAX_ORDER)
        return EMO_EINVAL;
    if (n == 0)
        return 0;
    if (window > n)
        window = (n & 1) ? n : n - 1;
    if (order >= window)
        order = window - 1;
    int m = window / 2;
    double centre[SG_MAX_WINDOW], edge[SG_MAX_WINDOW];
    int err = emo_savgol_coeffs(window, order, m, centre);
    if (err)
        return err;
    for (int k = 0; k < n; k++) {
        int start, pos;
        const double *c = centre;
        if (k < m) {
            start = 0;
            pos = k;
        } else if (k >= n - m) {
            start = n - window;
            pos = k - start;
        } else {
            start = k - m;
            pos = m;
        }
        if (pos != m) {
            if ((err = emo_savgol_coeffs(window, order, pos, edge)))
                return err;
            c = edge;
        }
        double s = 0;
        for (int i = 0; i < window; i++)
            s += c[i] * in[start + i];
        out[k] = (float)s;
    }
    return 0;
}
